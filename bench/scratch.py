"""What the benchmarks that run in databases of their own share: the database's URL, its creation,
the environment of a child process, and running a phase of a benchmark script in one."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def scratch_database_url(suffix, sqlite_name):
    """DATABASE_URL's PostgreSQL database with `suffix` added to its name; else SQLite `sqlite_name`
    under var/."""
    url = os.environ.get('DATABASE_URL', '')
    if not url.startswith(('postgres://', 'postgresql://')):
        return f'sqlite:///{ROOT / "var" / sqlite_name}'
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip('/') + suffix))


def ensure_database(url, fresh=False):
    """Creates the database if missing (dropped first when `fresh`); SQLite: deleted when `fresh`."""
    if url.startswith('postgres'):
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip('/')
        admin = urlunsplit(parts._replace(path='/postgres', scheme='postgresql'))
        with psycopg.connect(admin, autocommit=True) as connection:
            if fresh:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not connection.execute('SELECT 1 FROM pg_database WHERE datname = %s', [name]).fetchone():
                connection.execute(f'CREATE DATABASE "{name}"')
    elif fresh:
        path = Path(urlsplit(url).path[1:])
        for suffix in ('', '-wal', '-shm'):
            Path(f'{path}{suffix}').unlink(missing_ok=True)


def child_env(url, **extra):
    """The environment of a child process working on database `url`."""
    return {
        **os.environ,
        'DATABASE_URL': url,
        'DJANGO_SETTINGS_MODULE': 'scale.settings',
        'SCALE_LOG_LEVEL': 'WARNING',
        **extra,
    }


def run_child(script, env, *args, data=None):
    """Runs `script --child ARGS` in a fresh process (its peak RSS is its own), `data` on its stdin;
    returns the JSON of its last line of output."""
    out = subprocess.run(
        [PYTHON, str(Path(script).resolve()), '--child', *map(str, args)],
        env=env,
        cwd=ROOT,
        check=True,
        text=True,
        input=data,
        stdout=subprocess.PIPE,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
