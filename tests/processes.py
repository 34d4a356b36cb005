"""Child processes of the service (run_node, db_worker) started by tests against the test database.

A child must open the test database itself, so these tests need PostgreSQL (the SQLite test database
lives in the test process's memory) and commit their data (transaction=True)."""

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection


def needs_child_processes():
    if connection.vendor != 'postgresql':
        pytest.skip('a child process needs a database it can open (PostgreSQL)')


def database_url():
    """The test database as a DATABASE_URL."""
    values = connection.settings_dict
    credentials = quote(values['USER'] or '', safe='')
    if values['PASSWORD']:
        credentials += ':' + quote(values['PASSWORD'], safe='')
    host = values['HOST'] or 'localhost'
    port = f':{values["PORT"]}' if values['PORT'] else ''
    return f'postgres://{credentials}@{host}{port}/{quote(values["NAME"], safe="")}'


def start_manage(args, log_path, **env):
    """Starts `manage.py *args` against the test database, its output into log_path. Returns
    (process, open log file)."""
    log = open(log_path, 'wb')  # noqa: SIM115 (the caller closes it)
    process = subprocess.Popen(
        [sys.executable, 'manage.py', *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, 'DATABASE_URL': database_url(), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log


def stop_all(children):
    """Kills the (process, log) pairs still running and closes their logs (a fixture's teardown)."""
    for process, log in children:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
