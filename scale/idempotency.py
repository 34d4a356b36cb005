"""Idempotent writes: a client that repeats a request with the same `Idempotency-Key` header gets the
first result, and the work is done once.

    run_once(user, scope, key, body, create)

`create()` does the work in the caller's transaction and returns the new resource's id; the key is
recorded in the same transaction, so a crash records neither. Two concurrent requests with one key
race on a unique constraint: the loser's work is rolled back and it answers with the winner's result.
"""

import hashlib
import json
import re

from django.db import IntegrityError, transaction

from scale.api.exceptions import Conflict, InvalidInput
from scale.models import IdempotentRequest

HEADER = 'Idempotency-Key'
_KEY = re.compile(r'^[\x21-\x7e]{1,255}$')


class HeaderError(InvalidInput):
    kind = 'header'


def request_key(request):
    """The request's Idempotency-Key, or None; 400 when it is not 1-255 printable ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.match(key):
        raise HeaderError({HEADER: ['use 1 to 255 printable ASCII characters without spaces']})
    return key


def body_digest(body):
    canonical = json.dumps(body, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _previous(user, scope, key, digest):
    record = IdempotentRequest.objects.filter(user=user, scope=scope, key=key).first()
    if record is None:
        return None
    if record.body_digest != digest:
        raise Conflict(f'{HEADER} {key!r} was already used for a different request body.')
    return record.resource_id


def run_once(user, scope, key, body, create):
    """Returns (resource id, created). Without a key, runs create() in a transaction. With a key
    seen before for this user and scope: the first resource id (409 if the body differs)."""
    if key is None:
        with transaction.atomic():
            return create(), True
    digest = body_digest(body)
    previous = _previous(user, scope, key, digest)
    if previous is not None:
        return previous, False
    try:
        with transaction.atomic():
            resource_id = create()
            IdempotentRequest.objects.create(
                user=user, scope=scope, key=key, body_digest=digest, resource_id=resource_id
            )
            return resource_id, True
    except IntegrityError:
        previous = _previous(user, scope, key, digest)
        if previous is None:
            raise
        return previous, False
