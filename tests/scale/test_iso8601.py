"""scale/api/iso8601.py: time values of query parameters: ISO-8601 datetimes with any offset
(DESIGN.md section 5: -05:00 works, unlike Scale) and durations with Y/M/W/D/H/M/S meaning "now
minus it", relative to a given `now`."""

import datetime

import pytest

from scale.api.iso8601 import parse_time_value

UTC = datetime.UTC
NOW = datetime.datetime(2024, 3, 15, 12, 0, 0, tzinfo=UTC)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('2015-01-01T00:00:00Z', utc(2015, 1, 1)),
        ('2015-01-01T00:00:00+00:00', utc(2015, 1, 1)),
        ('2015-01-01T05:30:00+05:30', utc(2015, 1, 1)),
        ('2014-12-31T19:00:00-05:00', utc(2015, 1, 1)),
        ('2015-01-01T00:00:00-05:00', utc(2015, 1, 1, 5)),
        ('2024-04-30T00:00:00.000Z', utc(2024, 4, 30)),
        ('2024-04-30T00:00:00.123Z', utc(2024, 4, 30, 0, 0, 0, 123000)),
        ('2024-04-30T00:00:00.123456Z', utc(2024, 4, 30, 0, 0, 0, 123456)),
        ('2024-04-29T19:00:00.500-05:00', utc(2024, 4, 30, 0, 0, 0, 500000)),
        # No offset: UTC.
        ('2015-01-01T00:00:00', utc(2015, 1, 1)),
        ('2015-01-01T10:20:30.250', utc(2015, 1, 1, 10, 20, 30, 250000)),
        ('2015-01-01T00:00Z', utc(2015, 1, 1)),
        # Surrounding blanks are ignored.
        ('  2015-01-01T00:00:00Z ', utc(2015, 1, 1)),
    ],
)
def test_datetimes(text, expected):
    value = parse_time_value(text, now=NOW)

    assert value == expected
    assert value.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        # An unencoded '+' in a query string arrives as a space.
        ('2015-01-01T05:30:00 05:30', utc(2015, 1, 1)),
        ('2015-01-01T05:30:00.000 05:30', utc(2015, 1, 1)),
        ('2015-01-01T05:00:00 05', utc(2015, 1, 1)),
        ('2015-01-01T05:30 0530', utc(2015, 1, 1)),
    ],
)
def test_space_instead_of_plus(text, expected):
    assert parse_time_value(text, now=NOW) == expected


@pytest.mark.parametrize(
    ('text', 'expected'),
    [
        ('P1D', utc(2024, 3, 14, 12)),
        ('PT3H0M0S', utc(2024, 3, 15, 9)),
        ('PT3H', utc(2024, 3, 15, 9)),
        ('PT90M', utc(2024, 3, 15, 10, 30)),
        ('PT30S', utc(2024, 3, 15, 11, 59, 30)),
        ('P1Y2M3DT4H', utc(2023, 1, 12, 8)),
        ('P1Y', utc(2023, 3, 15, 12)),
        ('P1M', utc(2024, 2, 15, 12)),
        ('P2W', utc(2024, 3, 1, 12)),
        ('P1.5D', utc(2024, 3, 14)),
        ('PT1.5H', utc(2024, 3, 15, 10, 30)),
        ('P0D', NOW),
    ],
)
def test_durations_are_now_minus_the_duration(text, expected):
    assert parse_time_value(text, now=NOW) == expected


def test_duration_without_now_is_relative_to_the_current_time():
    before = datetime.datetime.now(UTC)
    value = parse_time_value('P1D')
    after = datetime.datetime.now(UTC)

    assert before - datetime.timedelta(days=1) <= value <= after - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    'text',
    [
        'yesterday',
        'now',
        '',
        '   ',
        'P',
        'PT',
        'P1DT',
        'P-1D',
        '-P1D',
        'PXD',
        '2015-13-01T00:00:00Z',
        '2015-02-30T00:00:00Z',
        '2015-01-01T25:00:00Z',
        '2015-01-01T00:00:00+25:00',
        'P99999999Y',
        '0001-01-01T00:00:00+01:00',
    ],
)
def test_invalid_values_raise_value_error(text):
    with pytest.raises(ValueError):
        parse_time_value(text, now=NOW)


@pytest.mark.parametrize(
    'value',
    [None, 123, 1.5, b'2015-01-01T00:00:00Z', datetime.datetime(2015, 1, 1, tzinfo=UTC), ['P1D']],
)
def test_non_strings_raise_value_error(value):
    with pytest.raises(ValueError):
        parse_time_value(value, now=NOW)
