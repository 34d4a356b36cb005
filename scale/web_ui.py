"""The Scale web UI (a build of ngageoint/scale-ui) served on our own origin when SCALE_UI_DIR is set.

- Files of the build are served as they are: bundles whose names carry a content hash are cached
  for a year, everything else is revalidated (ETag / Last-Modified, 304); text is gzipped when the
  browser accepts it.
- Any other GET outside the server's own areas (an Angular client route such as /processing/jobs or
  /configuration/job-types/name/1.0.0) gets index.html, and the UI's router takes it from there.
  The server's own areas (/v6/, /api/, /admin/, /api-auth/, /accounts/, /static/, /metrics, ...)
  never match here: an unknown path there stays a JSON 404.
- `assets/appConfig.json`, the UI's runtime configuration, is answered by us: API calls go to
  `/v6/...` on this origin (an empty `apiPrefix`), and authentication is on exactly when our reads
  need a user, with this server's sign-in page. Cosmetic keys (theme, colours, banner, logo) come
  from the build's own file, so an operator can still edit them there.

Without SCALE_UI_DIR every path here is a JSON 404, as for any unknown URL.
"""

import functools
import gzip
import json
import logging
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseNotModified, JsonResponse
from django.middleware.csrf import get_token
from django.utils.http import http_date, parse_http_date_safe

from scale.api.exceptions import not_found

logger = logging.getLogger(__name__)

# The first path segments the server answers itself; never the UI's (its routes are processing/...,
# configuration/..., data/..., system/..., dashboard).
RESERVED = ('v[0-9]+', 'api', 'admin', 'api-auth', 'accounts', 'static', 'metrics', 'healthz', 'readyz')
ROUTE = rf'^(?!(?:{"|".join(RESERVED)})(?:/|$))(?P<path>.*)$'

APP_CONFIG = 'assets/appConfig.json'
# The UI's own defaults (its README) for the keys it needs; the build's file may change these.
COSMETIC_DEFAULTS = {
    'dateFormat': 'YYYY-MM-DD HH:mm:ss[Z]',
    'defaultTheme': 'light',
    'documentation': 'http://ngageoint.github.io/scale/docs/index.html',
    'themeKey': 'scale.theme',
    'primaryColor': '#017cce',
    'secondaryLightColor': '#5c97bf',
    'secondaryDarkColor': '#24567f',
    'logoImageCss': '',
    'logoImage': '',
    'bannerMessage': '',
    'bannerType': 'info',
}

# Angular's production build names bundles and the files they reference name.<20 hex digits>.ext.
HASHED = re.compile(r'\.[0-9a-f]{16,}\.[A-Za-z0-9]+$')
# A path that names a file (under assets/, or with a static file's extension) and is not in the
# build is a 404, not index.html: a missing script must not come back as HTML. Version numbers in
# client routes (/configuration/job-types/name/1.0.0) have no such extension.
FILE_LIKE = re.compile(
    r'(^assets/|\.(?:js|mjs|css|map|json|html?|ico|png|jpe?g|gif|svg|webp|woff2?|ttf|eot|otf|txt|xml)$)',
    re.IGNORECASE,
)
CONTENT_TYPES = {
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.html': 'text/html; charset=utf-8',
    '.json': 'application/json',
    '.map': 'application/json',
    '.svg': 'image/svg+xml',
    '.ico': 'image/x-icon',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.gif': 'image/gif',
    '.webp': 'image/webp',
    '.woff': 'font/woff',
    '.woff2': 'font/woff2',
    '.ttf': 'font/ttf',
    '.otf': 'font/otf',
    '.eot': 'application/vnd.ms-fontobject',
    '.txt': 'text/plain; charset=utf-8',
    '.xml': 'application/xml',
}
COMPRESSIBLE = frozenset(
    {'.js', '.mjs', '.css', '.html', '.json', '.map', '.svg', '.txt', '.xml', '.ttf', '.eot'}
)
# Compressed copies are kept in memory: a build has a few dozen text files of at most a few MiB.
GZIP_MIN_BYTES = 1024
GZIP_MAX_BYTES = 16 * 1024 * 1024
IMMUTABLE = 'public, max-age=31536000, immutable'
REVALIDATE = 'no-cache'


def app_config(request):
    """The UI's runtime configuration for this server (see the module docstring)."""
    config = dict(COSMETIC_DEFAULTS)
    config.update({key: value for key, value in _build_config().items() if key in COSMETIC_DEFAULTS})
    config.update(
        {
            'apiDefaultVersion': 'v6',
            'apiPrefix': '',
            'apiVersions': [],
            'authEnabled': not settings.SCALE_PUBLIC_READ_API,
            # `external`: the UI sends the browser to authSchemeUrl?next=<its URL> and comes back.
            'authSchemeType': 'external',
            'authSchemeUrl': settings.LOGIN_URL,
            'siloUrl': '',
        }
    )
    response = JsonResponse(config)
    response['Cache-Control'] = REVALIDATE
    return response


def _build_config():
    """The build's own appConfig.json as an object, or {} when it is missing or not a JSON object."""
    path = settings.SCALE_UI_DIR / APP_CONFIG
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _read_config(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_config(path, mtime_ns, size):
    try:
        config = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        logger.warning('ignoring %s: %s', path, exc)
        return {}
    return config if isinstance(config, dict) else {}


def serve(request, path):
    """A file of the build, the UI's configuration, or index.html for a client route."""
    root = settings.SCALE_UI_DIR
    if root is None:
        return not_found(request)
    if request.method not in ('GET', 'HEAD'):
        response = JsonResponse({'detail': f'Method "{request.method}" not allowed.'}, status=405)
        response['Allow'] = 'GET, HEAD'
        return response
    if path == APP_CONFIG:
        return app_config(request)
    found = _file_in(root, path)
    if found is None:
        if FILE_LIKE.search(path):
            return not_found(request)
        found = root / 'index.html'
    if found == root / 'index.html':
        # The page's writes carry the csrftoken cookie as X-CSRFToken: make sure the browser has one.
        get_token(request)
    return _file_response(request, found)


def _file_in(root, path):
    """The regular file `path` names inside `root`, or None. Nothing outside root (`..`, absolute
    paths, symbolic links leading out), no hidden files, no directories."""
    if not path or '\x00' in path or '\\' in path:
        return None
    if any(part.startswith('.') for part in path.split('/')):
        return None
    try:
        candidate = (root / path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _file_response(request, path):
    try:
        stat = path.stat()
    except OSError:
        return not_found(request)
    suffix = path.suffix.lower()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    compress = (
        suffix in COMPRESSIBLE
        and GZIP_MIN_BYTES <= stat.st_size <= GZIP_MAX_BYTES
        and 'gzip' in request.headers.get('Accept-Encoding', '')
    )
    if compress:
        etag = etag[:-1] + '-gz"'
    headers = {
        'Cache-Control': IMMUTABLE if HASHED.search(path.name) else REVALIDATE,
        'ETag': etag,
        'Last-Modified': http_date(stat.st_mtime),
    }
    if suffix in COMPRESSIBLE:
        headers['Vary'] = 'Accept-Encoding'
    if _not_modified(request, etag, stat.st_mtime):
        response = HttpResponseNotModified()
        for name, value in headers.items():
            response[name] = value
        return response
    content_type = CONTENT_TYPES.get(suffix, 'application/octet-stream')
    if compress:
        body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
        response = HttpResponse(body if request.method == 'GET' else b'', content_type=content_type)
        response['Content-Encoding'] = 'gzip'
        response['Content-Length'] = str(len(body))
    else:
        response = FileResponse(path.open('rb'), content_type=content_type)
        del response['Content-Disposition']  # a page or a bundle, not a download
    for name, value in headers.items():
        response[name] = value
    return response


def _not_modified(request, etag, mtime):
    if_none_match = request.headers.get('If-None-Match')
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(',')] or if_none_match.strip() == '*'
    since = parse_http_date_safe(request.headers.get('If-Modified-Since', ''))
    return since is not None and int(mtime) <= since


@functools.lru_cache(maxsize=64)
def _gzipped(path, mtime_ns, size):
    """The file gzipped once per version (its mtime and size are part of the cache key)."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
