"""SCALE_UI_DIR: a build of the Scale web UI served on our own origin (issue 7, item 2): its files,
index.html for its client routes, our own assets/appConfig.json, and nothing outside the build."""

import gzip
import importlib
import json
import os
import types

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

pytestmark = pytest.mark.django_db

BUNDLE = 'main.0123456789abcdef0123.js'
BUNDLE_TEXT = 'console.log("scale ui");\n' * 200  # over the gzip threshold
INDEX = '<!doctype html><html><head><base href="/"></head><body><dev-root></dev-root></body></html>'
SECRET = 'top secret, outside the build'


@pytest.fixture
def build(tmp_path, settings):
    """A small build laid out as ngageoint/scale-ui's dist/developer, and a file beside it that must
    never be served."""
    root = tmp_path / 'developer'
    (root / 'assets' / 'images').mkdir(parents=True)
    (root / 'index.html').write_text(INDEX)
    (root / BUNDLE).write_text(BUNDLE_TEXT)
    (root / 'styles.css').write_text('body{margin:0}')
    (root / 'assets' / 'images' / 'logo.png').write_bytes(b'\x89PNG\r\n\x1a\n' + bytes(64))
    (root / 'assets' / 'appConfig.json').write_text(
        json.dumps(
            {
                'apiPrefix': '/mocks',
                'authEnabled': False,
                'authSchemeUrl': '/api/login/',
                'bannerMessage': 'Welcome',
                'primaryColor': '#123456',
            }
        )
    )
    (root / '.env').write_text(SECRET)
    (tmp_path / 'secret.txt').write_text(SECRET)
    (root / 'escape.txt').symlink_to(tmp_path / 'secret.txt')
    settings.SCALE_UI_DIR = root.resolve()
    return root


@pytest.fixture
def browser():
    return Client()


def text(response):
    body = b''.join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def assert_json_404(response):
    assert response.status_code == 404
    assert response['Content-Type'] == 'application/json'
    assert response.json() == {'detail': 'Not found.'}


# --- without SCALE_UI_DIR -------------------------------------------------------------------------


@pytest.mark.parametrize(
    'path', ['/', '/processing/jobs', '/system/nodes', '/index.html', '/assets/appConfig.json']
)
def test_without_a_ui_dir_there_are_no_ui_routes(browser, settings, path):
    settings.SCALE_UI_DIR = None

    assert_json_404(browser.get(path))


# --- the build's files ----------------------------------------------------------------------------


def test_the_root_is_index_html_and_gives_the_csrf_cookie(build, browser):
    response = browser.get('/')

    assert response.status_code == 200
    assert response['Content-Type'] == 'text/html; charset=utf-8'
    assert text(response) == INDEX
    assert response['Cache-Control'] == 'no-cache'
    assert response.cookies['csrftoken'].value


@pytest.mark.parametrize(
    'path',
    [
        '/dashboard',
        '/processing/jobs',
        '/processing/jobs?page=2&status=FAILED',
        '/processing/jobs/42',
        '/processing/running-jobs',
        '/processing/queued-jobs',
        '/configuration/job-types',
        '/configuration/job-types/my-algo/1.0.0',
        '/system/nodes',
        '/system/status/',
    ],
)
def test_client_routes_get_index_html(build, browser, path):
    response = browser.get(path)

    assert response.status_code == 200
    assert text(response) == INDEX


def test_a_hashed_bundle_is_cached_for_a_year(build, browser):
    response = browser.get(f'/{BUNDLE}')

    assert response.status_code == 200
    assert response['Content-Type'] == 'text/javascript; charset=utf-8'
    assert response['Cache-Control'] == 'public, max-age=31536000, immutable'
    assert text(response) == BUNDLE_TEXT


def test_unhashed_files_are_revalidated(build, browser):
    response = browser.get('/styles.css')

    assert response['Content-Type'] == 'text/css; charset=utf-8'
    assert response['Cache-Control'] == 'no-cache'
    assert text(response) == 'body{margin:0}'
    image = browser.get('/assets/images/logo.png')
    assert (image.status_code, image['Content-Type']) == (200, 'image/png')


def test_text_is_gzipped_when_the_browser_accepts_it(build, browser):
    plain = browser.get(f'/{BUNDLE}')
    zipped = browser.get(f'/{BUNDLE}', HTTP_ACCEPT_ENCODING='gzip, deflate, br')

    assert zipped['Content-Encoding'] == 'gzip'
    assert gzip.decompress(zipped.content).decode() == BUNDLE_TEXT
    assert int(zipped['Content-Length']) == len(zipped.content) < len(BUNDLE_TEXT) / 10
    assert zipped['Vary'] == plain['Vary'] == 'Accept-Encoding'
    assert zipped['ETag'] != plain['ETag']
    assert 'Content-Encoding' not in plain


def test_a_changed_file_is_served_changed(build, browser):
    browser.get(f'/{BUNDLE}', HTTP_ACCEPT_ENCODING='gzip')
    (build / BUNDLE).write_text('changed();' * 200)
    os.utime(build / BUNDLE, ns=(1, 1))

    response = browser.get(f'/{BUNDLE}', HTTP_ACCEPT_ENCODING='gzip')

    assert gzip.decompress(response.content).decode() == 'changed();' * 200


def test_conditional_requests_get_304(build, browser):
    first = browser.get('/processing/jobs')

    by_etag = browser.get('/processing/jobs', HTTP_IF_NONE_MATCH=first['ETag'])
    by_date = browser.get('/styles.css', HTTP_IF_MODIFIED_SINCE=browser.get('/styles.css')['Last-Modified'])
    stale = browser.get('/processing/jobs', HTTP_IF_NONE_MATCH='"other"')

    assert (by_etag.status_code, by_etag.content) == (304, b'')
    assert by_etag['ETag'] == first['ETag']
    assert by_date.status_code == 304
    assert stale.status_code == 200


def test_head_has_no_body(build, browser):
    response = browser.head('/processing/jobs')

    assert response.status_code == 200
    assert text(response) == ''


def test_writes_to_ui_paths_are_405(build, browser):
    response = browser.post('/processing/jobs', {})

    assert response.status_code == 405
    assert response['Allow'] == 'GET, HEAD'
    assert response.json() == {'detail': 'Method "POST" not allowed.'}


@pytest.mark.parametrize(
    'path',
    ['/assets/missing.png', '/assets/i18n/x', '/main.ffffffffffffffffffff.js', '/favicon.ico', '/x.css'],
)
def test_a_missing_file_is_a_json_404_not_index_html(build, browser, path):
    assert_json_404(browser.get(path))


# --- the server's own areas -----------------------------------------------------------------------


@pytest.mark.parametrize(
    'path',
    [
        '/v6/nope/',
        '/v6',
        '/v5/jobs/',
        '/api/v6/jobs/',
        '/api',
        '/api-auth/nope/',
        '/accounts/nope/',
        '/static/nope.js',
        '/metrics/nope',
        '/healthz/nope',
        '/readyz/nope',
    ],
)
def test_the_servers_own_areas_keep_their_json_404(build, browser, path):
    assert_json_404(browser.get(path))


def test_the_api_is_still_the_api(build, browser, user):
    assert browser.get('/v6/jobs/').status_code == 401
    assert browser.get('/admin/nope/')['Location'] == '/admin/login/?next=/admin/nope/'
    assert browser.get('/healthz').json() == {'status': 'ok'}
    assert browser.get('/accounts/login/').status_code == 200


# --- nothing outside the build --------------------------------------------------------------------


@pytest.mark.parametrize(
    'path',
    [
        '/../secret.txt',
        '/assets/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/assets/%2E%2E/%2E%2E/secret.txt',
        '/assets/..%2f..%2fsecret.txt',
        '/..%5c..%5csecret.txt',
        '//secret.txt',
        '/escape.txt',
        '/.env',
        '/assets/../.env',
        '/index.html%00.txt',
    ],
)
def test_nothing_outside_the_build_is_served(build, browser, path):
    response = browser.get(path)
    body = text(response)

    assert SECRET not in body
    assert response.status_code in (404, 200)
    if response.status_code == 200:
        assert body == INDEX


def test_an_absolute_path_stays_in_the_build(build, browser):
    response = browser.get(f'/{build.parent / "secret.txt"}')

    assert SECRET not in text(response)


# --- assets/appConfig.json ------------------------------------------------------------------------


def test_app_config_points_the_ui_at_this_server(build, browser):
    response = browser.get('/assets/appConfig.json')

    assert response.status_code == 200
    assert response['Cache-Control'] == 'no-cache'
    config = response.json()
    assert config['apiDefaultVersion'] == 'v6'
    assert config['apiPrefix'] == ''  # the UI then calls /v6/... on this origin
    assert config['apiVersions'] == []
    assert config['authEnabled'] is True
    assert config['authSchemeType'] == 'external'
    assert config['authSchemeUrl'] == '/accounts/login/'
    # Cosmetic keys come from the build's file, the others from the UI's defaults.
    assert (config['bannerMessage'], config['primaryColor']) == ('Welcome', '#123456')
    assert (config['themeKey'], config['defaultTheme']) == ('scale.theme', 'light')
    assert browser.get(config['authSchemeUrl']).status_code == 200


def test_app_config_without_auth_when_reads_are_public(build, browser, public_read):
    assert browser.get('/assets/appConfig.json').json()['authEnabled'] is False


@pytest.mark.parametrize('content', ['{not json', '[1, 2]', None])
def test_app_config_when_the_builds_file_is_bad_or_missing(build, browser, content):
    path = build / 'assets' / 'appConfig.json'
    if content is None:
        path.unlink()
    else:
        path.write_text(content)

    config = browser.get('/assets/appConfig.json').json()

    assert (config['apiPrefix'], config['bannerMessage'], config['themeKey']) == ('', '', 'scale.theme')


def test_the_ui_flow_with_auth_on(build, staff_user):
    """What the UI does at start: read its config, ask for the profile, sign in on a 401, come back."""
    browser = Client(enforce_csrf_checks=True)
    page = 'http://testserver/processing/jobs?status=RUNNING&page=1'
    assert browser.get('/processing/jobs?status=RUNNING&page=1').status_code == 200
    config = browser.get('/assets/appConfig.json').json()
    profile = f'{config["apiPrefix"]}/{config["apiDefaultVersion"]}/accounts/profile/'
    assert browser.get(profile).status_code == 401

    browser.get(f'{config["authSchemeUrl"]}?next={page}')
    signed_in = browser.post(
        config['authSchemeUrl'],
        {
            'csrfmiddlewaretoken': browser.cookies['csrftoken'].value,
            'username': 'operator',
            'password': 'operator-password-1',
            'next': page,
        },
    )

    assert signed_in.status_code == 302
    assert signed_in['Location'] == page
    assert browser.get(profile).json()['is_staff'] is True


# --- the setting ----------------------------------------------------------------------------------


def _settings_with(monkeypatch, value):
    monkeypatch.setenv('SCALE_UI_DIR', value)
    module = importlib.import_module('scale.settings')
    try:
        return types.SimpleNamespace(**vars(importlib.reload(module)))
    finally:
        monkeypatch.delenv('SCALE_UI_DIR')
        importlib.reload(module)


def test_the_setting_is_the_resolved_directory(monkeypatch, tmp_path):
    (tmp_path / 'ui').mkdir()
    (tmp_path / 'ui' / 'index.html').write_text(INDEX)

    module = _settings_with(monkeypatch, str(tmp_path / 'ui' / '..' / 'ui'))

    assert (tmp_path / 'ui').resolve() == module.SCALE_UI_DIR
    assert module.LOGIN_REDIRECT_URL == '/'


def test_unset_the_setting_is_none():
    from scale import settings as project_settings

    assert project_settings.SCALE_UI_DIR is None


def test_a_missing_directory_stops_the_settings(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=r'SCALE_UI_DIR=.*is not an existing directory: point it'):
        _settings_with(monkeypatch, str(tmp_path / 'nowhere'))


def test_a_directory_without_index_html_stops_the_settings(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=r'SCALE_UI_DIR=.*has no index.html in it: point it'):
        _settings_with(monkeypatch, str(tmp_path))
