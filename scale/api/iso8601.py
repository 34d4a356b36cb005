"""ISO-8601 values in query parameters and bodies.

A time value is either a datetime (any offset, optional fraction; a value without an offset is
UTC) or, when it starts with P, a duration meaning "now minus the duration" (P1Y2M3DT4H, PT3H0M0S,
P2W, fractions allowed).
"""

import datetime
import re

import isodate
from django.utils import timezone

EXAMPLES = '2015-01-01T00:00:00Z, 2015-01-01T00:00:00.000-05:00 or a duration such as P1D, PT3H0M0S, P2W'

# In an unencoded query string a '+' offset arrives as a space: "2015-01-01T00:00:00 05:00".
_SPACE_OFFSET = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$')


def parse_duration(text):
    """An ISO-8601 duration as a timedelta or isodate.Duration; ValueError when it is not one or is
    negative."""
    if not text.startswith('P') or text in ('P', 'PT') or text.endswith('T'):
        raise ValueError(f'{text!r} is not an ISO-8601 duration')
    try:
        duration = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, OverflowError) as exc:
        raise ValueError(f'{text!r} is not an ISO-8601 duration') from exc
    return duration


def parse_datetime(text):
    """An ISO-8601 datetime as an aware UTC datetime; ValueError when it is not one."""
    match = _SPACE_OFFSET.match(text)
    if match:
        text = f'{match.group(1)}+{match.group(2)}'
    try:
        value = isodate.parse_datetime(text)
    except (isodate.ISO8601Error, ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f'{text!r} is not an ISO-8601 datetime') from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f'{text!r} has an offset or a time out of range') from exc


def parse_time_value(text, now=None):
    """A datetime, or now minus a duration for a value starting with P. ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError(f'{text!r} is not a string')
    # ISO-8601 letters (T, Z, P, Y, M, W, D, H, S) are case-insensitive in RFC 3339 practice.
    text = text.strip().upper()
    if text.startswith('P'):
        duration = parse_duration(text)
        now = now or timezone.now()
        try:
            return now - duration
        except (OverflowError, ValueError) as exc:
            raise ValueError(f'{text!r} reaches before year 1') from exc
    return parse_datetime(text)


def format_datetime(value):
    """An aware datetime as the API writes it: ISO-8601 in UTC with a Z."""
    # Values read from the database are in UTC already (a page of jobs formats about a thousand).
    if value.tzinfo is not datetime.UTC:
        value = value.astimezone(datetime.UTC)
    return value.isoformat().replace('+00:00', 'Z')
