"""PostgreSQL connection set-up: timestamps decoded by psycopg's C loader.

Django decodes every timestamptz with a loader that subclasses psycopg's pure-Python one (to stamp the
connection's time zone on the result): about 6 us a value, 80 ms for a page of 1,000 jobs and most of
a 100,000-line JSON log. This loader has psycopg's compiled loader parse the value and stamps the
same time zone, and keeps the `timezone` attribute Django checks before each cursor.
"""

from django.db.backends.signals import connection_created
from psycopg import adapt, postgres
from psycopg.pq import Format

TIMESTAMPTZ_OID = postgres.types['timestamptz'].oid
COMPILED_LOADER = postgres.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


def tz_loader(tz):
    """A timestamptz text loader returning aware datetimes in `tz`, parsed by psycopg's own loader."""

    class CompiledTzLoader(adapt.Loader):
        timezone = tz

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.parse = COMPILED_LOADER(oid, context).load

        def load(self, data):
            return self.parse(data).replace(tzinfo=tz)

    return CompiledTzLoader


def use_compiled_tz_loader(sender, connection, **kwargs):
    if connection.vendor == 'postgresql':
        connection.connection.adapters.register_loader('timestamptz', tz_loader(connection.timezone))


def connect_signals():
    connection_created.connect(use_compiled_tz_loader, dispatch_uid='scale.db.use_compiled_tz_loader')
