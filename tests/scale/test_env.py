"""scale/env.py: strict readers of settings from the environment. A bad value stops start-up with
ImproperlyConfigured naming the variable; a database password never appears in an error."""

import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from scale import env

VAR = 'SCALE_TEST_SETTING'
PASSWORD = 's3cr3t-pa55word'


@pytest.fixture
def setenv(monkeypatch):
    def set_(value, name=VAR):
        monkeypatch.setenv(name, value)

    monkeypatch.delenv(VAR, raising=False)
    return set_


# --- env_bool ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        ('true', True),
        ('1', True),
        ('yes', True),
        ('on', True),
        ('TRUE', True),
        (' Yes ', True),
        ('On', True),
        ('false', False),
        ('0', False),
        ('no', False),
        ('off', False),
        ('FALSE', False),
        ('Off', False),
    ],
)
def test_env_bool_accepts(setenv, value, expected):
    setenv(value)

    assert env.env_bool(VAR, default=not expected) is expected


@pytest.mark.parametrize('value', ['maybe', 't', 'f', 'y', 'n', '2', '-1', 'truee', 'enabled', 'none'])
def test_env_bool_rejects_anything_else_naming_the_variable(setenv, value):
    setenv(value)

    with pytest.raises(ImproperlyConfigured) as raised:
        env.env_bool(VAR)
    assert VAR in str(raised.value)
    assert value in str(raised.value)


@pytest.mark.parametrize('value', [None, '', '   '])
def test_env_bool_unset_or_empty_is_the_default(setenv, value):
    if value is not None:
        setenv(value)

    assert env.env_bool(VAR, default=True) is True
    assert env.env_bool(VAR, default=False) is False


# --- env_int -------------------------------------------------------------------------------------


def test_env_int(setenv):
    assert env.env_int(VAR, 7) == 7
    setenv('42')
    assert env.env_int(VAR, 7) == 42
    setenv(' -3 ')
    assert env.env_int(VAR, 7) == -3


@pytest.mark.parametrize('value', ['1024', '2048', '4096'])
def test_env_int_within_range(setenv, value):
    setenv(value)

    assert env.env_int(VAR, 1, minimum=1024, maximum=4096) == int(value)


@pytest.mark.parametrize(
    ('value', 'minimum', 'maximum'),
    [('1023', 1024, None), ('4097', None, 4096), ('0', 1, 10), ('11', 1, 10)],
)
def test_env_int_out_of_range(setenv, value, minimum, maximum):
    setenv(value)

    with pytest.raises(ImproperlyConfigured) as raised:
        env.env_int(VAR, 1, minimum=minimum, maximum=maximum)
    assert VAR in str(raised.value)


@pytest.mark.parametrize('value', ['abc', '1.5', '1e3', '0x10', '10 MB'])
def test_env_int_not_an_integer(setenv, value):
    setenv(value)

    with pytest.raises(ImproperlyConfigured) as raised:
        env.env_int(VAR, 1)
    assert VAR in str(raised.value)


# --- env_list, env_choice, env_str ---------------------------------------------------------------


def test_env_list(setenv):
    default = ['localhost']
    assert env.env_list(VAR, default) == ['localhost']
    assert env.env_list(VAR, default) is not default

    setenv('a.example, b.example,,  ,c.example ')
    assert env.env_list(VAR, default) == ['a.example', 'b.example', 'c.example']

    setenv('single')
    assert env.env_list(VAR, default) == ['single']


def test_env_list_of_only_separators_is_empty(setenv):
    setenv(',,')

    assert env.env_list(VAR, ['x']) == []


def test_env_choice(setenv):
    choices = ('DEBUG', 'INFO', 'WARNING')
    assert env.env_choice(VAR, 'INFO', choices) == 'INFO'

    setenv('WARNING')
    assert env.env_choice(VAR, 'INFO', choices) == 'WARNING'


@pytest.mark.parametrize('value', ['VERBOSE', 'warning', 'INFO,DEBUG'])
def test_env_choice_rejects_other_values_naming_the_variable(setenv, value):
    setenv(value)

    with pytest.raises(ImproperlyConfigured) as raised:
        env.env_choice(VAR, 'INFO', ('DEBUG', 'INFO', 'WARNING'))
    assert VAR in str(raised.value)
    assert 'WARNING' in str(raised.value)


def test_env_str(setenv):
    assert env.env_str(VAR, 'fallback') == 'fallback'
    setenv('  value  ')
    assert env.env_str(VAR, 'fallback') == 'value'


# --- database() ----------------------------------------------------------------------------------


def database(setenv, url):
    setenv(url, 'SCALE_TEST_DATABASE_URL')
    return env.database('SCALE_TEST_DATABASE_URL', 'sqlite:///unused.sqlite3')


def test_database_default_is_used_when_unset(monkeypatch, tmp_path):
    monkeypatch.delenv('SCALE_TEST_DATABASE_URL', raising=False)

    config = env.database('SCALE_TEST_DATABASE_URL', f'sqlite:///{tmp_path / "default.sqlite3"}')

    assert config['NAME'] == str(tmp_path / 'default.sqlite3')


def test_database_sqlite_relative_path(setenv, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    config = database(setenv, 'sqlite:///var/data/scale.sqlite3')

    assert config['ENGINE'] == 'django.db.backends.sqlite3'
    assert config['NAME'] == 'var/data/scale.sqlite3'
    assert (tmp_path / 'var' / 'data').is_dir()
    assert config['OPTIONS']['transaction_mode'] == 'IMMEDIATE'
    assert 'journal_mode=WAL' in config['OPTIONS']['init_command']


def test_database_sqlite_absolute_path(setenv, tmp_path):
    path = tmp_path / 'abs' / 'scale.sqlite3'

    config = database(setenv, f'sqlite:///{path}')

    assert str(path).startswith('/')
    assert config['NAME'] == str(path)
    assert path.parent.is_dir()


def test_database_sqlite_options_are_not_shared(setenv, tmp_path):
    first = database(setenv, f'sqlite:///{tmp_path / "a.sqlite3"}')
    first['OPTIONS']['timeout'] = 1

    second = database(setenv, f'sqlite:///{tmp_path / "b.sqlite3"}')

    assert second['OPTIONS']['timeout'] == env.SQLITE_OPTIONS['timeout'] != 1


@pytest.mark.parametrize('url', ['sqlite://', 'sqlite:///', 'sqlite://host/path.sqlite3'])
def test_database_bad_sqlite_urls(setenv, url):
    with pytest.raises(ImproperlyConfigured) as raised:
        database(setenv, url)
    assert 'SCALE_TEST_DATABASE_URL' in str(raised.value)


def test_database_postgres_url_parts(setenv):
    config = database(
        setenv,
        f'postgres://scale:{PASSWORD}@db.example:6543/scale_db?sslmode=require&conn_max_age=60'
        '&application_name=scale-api',
    )

    assert config == {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': 'scale_db',
        'USER': 'scale',
        'PASSWORD': PASSWORD,
        'HOST': 'db.example',
        'PORT': '6543',
        'CONN_MAX_AGE': 60,
        'CONN_HEALTH_CHECKS': True,
        'OPTIONS': {'sslmode': 'require', 'application_name': 'scale-api'},
    }


@pytest.mark.parametrize('scheme', ['postgres', 'postgresql', 'pgsql', 'POSTGRES'])
def test_database_postgres_schemes_and_defaults(setenv, scheme):
    config = database(setenv, f'{scheme}://localhost/scale')

    assert config['ENGINE'] == 'django.db.backends.postgresql'
    assert config['NAME'] == 'scale'
    assert config['USER'] == ''
    assert config['PASSWORD'] == ''
    assert config['HOST'] == 'localhost'
    assert config['PORT'] == ''
    assert config['CONN_MAX_AGE'] == 60
    assert config['OPTIONS'] == {}


def test_database_postgres_conn_max_age_zero_closes_each_connection(setenv):
    assert database(setenv, 'postgres://localhost/scale?conn_max_age=0')['CONN_MAX_AGE'] == 0


def test_database_postgres_percent_encoded_parts(setenv):
    config = database(setenv, 'postgres://us%40er:p%40ss%2Fw%3Ard@db.example:5432/my%20db')

    assert config['USER'] == 'us@er'
    assert config['PASSWORD'] == 'p@ss/w:rd'
    assert config['NAME'] == 'my db'
    assert config['PORT'] == '5432'


def test_database_postgres_without_host_uses_the_socket(setenv):
    config = database(setenv, 'postgres:///scale')

    assert config['HOST'] == ''
    assert config['NAME'] == 'scale'


@pytest.mark.parametrize(
    'url',
    [
        f'mysql://scale:{PASSWORD}@db.example/scale',
        f'http://scale:{PASSWORD}@db.example/scale',
        f'postgres://scale:{PASSWORD}@db.example/',
        f'postgres://scale:{PASSWORD}@db.example',
        f'postgres://scale:{PASSWORD}@db.example:port/scale',
        f'postgres://scale:{PASSWORD}@db.example:99999/scale',
        f'postgres://scale:{PASSWORD}@db.example:5432/scale?conn_max_age=forever',
        f'postgres://:{PASSWORD}@db.example:bad/scale',
        # No scheme at all (urlsplit reads "scale" as the scheme).
        f'scale:{PASSWORD}@db.example/scale',
        # A raw '@' inside the password.
        'postgres://scale:s3cr3t@pa55word@db.example/',
        'postgres://scale:s3cr3t@pa55word@db.example:port/scale',
    ],
)
def test_database_bad_urls_raise_without_the_password(setenv, url):
    with pytest.raises(ImproperlyConfigured) as raised:
        database(setenv, url)
    message = str(raised.value)
    assert 'SCALE_TEST_DATABASE_URL' in message
    assert PASSWORD not in message
    assert 'pa55' not in message


# --- secret_key() --------------------------------------------------------------------------------


def test_secret_key_from_the_environment(setenv, tmp_path):
    setenv('from-the-environment', 'SCALE_TEST_SECRET_KEY')
    key_file = tmp_path / 'secret_key'

    assert env.secret_key('SCALE_TEST_SECRET_KEY', key_file) == 'from-the-environment'
    assert not key_file.exists()


def test_secret_key_file_is_created_once_with_mode_0600(monkeypatch, tmp_path):
    monkeypatch.delenv('SCALE_TEST_SECRET_KEY', raising=False)
    key_file = tmp_path / 'nested' / 'dir' / 'secret_key'

    first = env.secret_key('SCALE_TEST_SECRET_KEY', key_file)

    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first) >= 50
    assert key_file.read_text().strip() == first
    modified = key_file.stat().st_mtime_ns

    second = env.secret_key('SCALE_TEST_SECRET_KEY', str(key_file))

    assert second == first
    assert key_file.stat().st_mtime_ns == modified


def test_secret_key_reuses_an_existing_file(monkeypatch, tmp_path):
    monkeypatch.delenv('SCALE_TEST_SECRET_KEY', raising=False)
    key_file = tmp_path / 'secret_key'
    key_file.write_text('an-existing-key\n')

    assert env.secret_key('SCALE_TEST_SECRET_KEY', key_file) == 'an-existing-key'


def test_secret_keys_differ_between_installs(monkeypatch, tmp_path):
    monkeypatch.delenv('SCALE_TEST_SECRET_KEY', raising=False)

    assert env.secret_key('SCALE_TEST_SECRET_KEY', tmp_path / 'a') != env.secret_key(
        'SCALE_TEST_SECRET_KEY', tmp_path / 'b'
    )
