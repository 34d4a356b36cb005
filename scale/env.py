"""Strict readers of settings from the environment.

Each helper reads one variable, returns the default when it is unset (or empty), and raises
ImproperlyConfigured naming the variable and what it accepts when the value cannot be parsed, so a
typo stops the process at start-up instead of running with a silently different configuration.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = frozenset({'1', 'true', 'yes', 'on'})
FALSE_VALUES = frozenset({'0', 'false', 'no', 'off'})


def _raw(name):
    value = os.environ.get(name, '').strip()
    return value or None


def env_str(name, default=''):
    value = _raw(name)
    return default if value is None else value


def env_bool(name, default=False):
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_VALUES:
        return True
    if value.lower() in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(
        f'{name}={value!r} is not a boolean; use one of: {", ".join(sorted(TRUE_VALUES | FALSE_VALUES))}'
    )


def env_int(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f'{name}={value!r} is not an integer') from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f'{name}={number} is outside the accepted range {minimum}..{maximum}')
    return number


def env_float(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f'{name}={value!r} is not a number') from None
    if (
        number != number
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
    ):
        raise ImproperlyConfigured(f'{name}={value} is outside the accepted range {minimum}..{maximum}')
    return number


def env_choice(name, default, choices):
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f'{name}={value!r} is not one of: {", ".join(choices)}')
    return value


def env_list(name, default):
    """A comma-separated list; blank items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(',') if item.strip()]


def env_directory(name, must_contain=(), hint=''):
    """An existing directory, as an absolute resolved Path, holding every file of `must_contain`;
    None when unset. `hint` ends the error message (what the directory should be)."""
    value = _raw(name)
    if value is None:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise ImproperlyConfigured(f'{name}={value!r} is not an existing directory{hint}')
    for file_name in must_contain:
        if not (path / file_name).is_file():
            raise ImproperlyConfigured(f'{name}={value!r} has no {file_name} in it{hint}')
    return path


def secret_key(name, key_file):
    """SECRET_KEY from the environment, else from key_file, which is created (mode 0600) on first use.

    A fresh install therefore never runs with a published default key, and the key survives restarts.
    """
    value = _raw(name)
    if value is not None:
        return value
    key_file = Path(key_file)
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(key)
    return key


SQLITE_OPTIONS = {
    # WAL lets the API read while the scheduler, worker and agents write; IMMEDIATE transactions
    # take the write lock up front, so two writers queue on the busy timeout instead of failing
    # with "database is locked" when a read transaction tries to upgrade.
    'init_command': 'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;',
    'transaction_mode': 'IMMEDIATE',
    'timeout': 30,
}


def _redacted(url):
    """The URL with its password masked, for error messages: everything between the user name and
    the last '@' is hidden, with or without a `scheme://` prefix (a URL missing its scheme, or a
    password holding a raw '@', must not leak either)."""
    prefix, separator, rest = url.partition('://')
    if not separator:
        prefix, rest = '', url
    userinfo, at, host = rest.rpartition('@')
    user, colon, _password = userinfo.partition(':')
    if not (at and colon):
        return url
    return f'{prefix}{separator}{user}:***@{host}'


def database(name, default):
    """A Django DATABASES entry from a URL: postgres://user:password@host:port/dbname?option=value,
    or sqlite:///relative/path.sqlite3 and sqlite:////absolute/path.sqlite3."""
    url = _raw(name) or default
    parts = urlsplit(url)
    shown = _redacted(url)
    scheme = parts.scheme.lower()
    if scheme == 'sqlite':
        path = unquote(parts.path[1:] if parts.path.startswith('/') else parts.path)
        if parts.netloc or not path:
            raise ImproperlyConfigured(
                f'{name}={shown!r}: a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path'
            )
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            'ENGINE': 'django.db.backends.sqlite3',
            'NAME': path,
            'OPTIONS': dict(SQLITE_OPTIONS),
            'TEST': {'NAME': None},
        }
    if scheme in ('postgres', 'postgresql', 'pgsql'):
        dbname = unquote(parts.path.lstrip('/'))
        if not dbname:
            raise ImproperlyConfigured(
                f'{name}={shown!r}: the URL names no database (postgres://host/dbname)'
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f'{name}={shown!r}: the port is not a number') from None
        options = dict(parse_qsl(parts.query))
        # Connections are kept a minute (checked before reuse): opening one per request costs
        # PostgreSQL a process fork and authentication, ~20 ms. conn_max_age=0 closes each.
        conn_max_age = options.pop('conn_max_age', '60')
        if not conn_max_age.isdigit():
            raise ImproperlyConfigured(f'{name}: conn_max_age={conn_max_age!r} is not a number of seconds')
        return {
            'ENGINE': 'django.db.backends.postgresql',
            'NAME': dbname,
            'USER': unquote(parts.username or ''),
            'PASSWORD': unquote(parts.password or ''),
            'HOST': unquote(parts.hostname or ''),
            'PORT': str(port or ''),
            'CONN_MAX_AGE': int(conn_max_age),
            'CONN_HEALTH_CHECKS': True,
            'OPTIONS': options,
        }
    raise ImproperlyConfigured(
        f'{name}={shown!r}: unsupported scheme {parts.scheme!r}; use postgres://... or sqlite:///...'
    )
