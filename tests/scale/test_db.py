"""scale.db: on PostgreSQL, timestamps are decoded by psycopg's compiled loader, with the same values
and time zone as Django's own loader gives."""

import datetime

import pytest
from django.db import connection

from job.models import TriggerEvent

pytestmark = pytest.mark.django_db


def test_timestamps_round_trip_as_aware_utc_datetimes():
    moments = [
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2024, 3, 1, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(
            1999, 12, 31, 12, 30, 5, 120000, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
        ),
    ]
    events = [TriggerEvent.objects.create(type='USER', occurred=moment) for moment in moments]
    loaded = list(TriggerEvent.objects.filter(id__in=[event.id for event in events]).order_by('id'))
    assert [event.occurred for event in loaded] == moments
    assert all(event.occurred.utcoffset() == datetime.timedelta(0) for event in loaded)


def test_the_compiled_loader_is_the_connections():
    if connection.vendor != 'postgresql':
        pytest.skip('PostgreSQL only')
    connection.ensure_connection()
    from psycopg.pq import Format

    from scale.db import TIMESTAMPTZ_OID

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader.__name__ == 'CompiledTzLoader' and loader.timezone == connection.timezone
