"""Operator changes to nodes (PATCH /v6/nodes/{id}/) and to the scheduler (PATCH /v6/scheduler/)."""

import json

from django.db import transaction
from django.utils import timezone

from job.documents import text_problem
from job.exceptions import InvalidDocument
from node.models import LoggingLevel, Node, QueueMode, Scheduler

EDITABLE = ('is_paused', 'pause_reason', 'is_active')


def _checked(body):
    if not isinstance(body, dict):
        raise InvalidDocument.at(
            '__all__', 'The body must be a JSON object with is_paused, pause_reason, is_active.'
        )
    errors = {
        key: [f'is not a field; use {", ".join(EDITABLE)}'] for key in sorted(set(body) - set(EDITABLE))
    }
    if not body:
        errors['__all__'] = [f'No fields given; use {", ".join(EDITABLE)}.']
    for key in ('is_paused', 'is_active'):
        if key in body and not isinstance(body[key], bool):
            errors[key] = ['must be a JSON boolean (true or false)']
    reason = body.get('pause_reason')
    if reason is not None:
        if not isinstance(reason, str):
            errors['pause_reason'] = ['must be a string or null']
        elif len(reason) > 250 or text_problem(reason):
            errors['pause_reason'] = [text_problem(reason) or 'must be at most 250 characters long']
    if errors:
        raise InvalidDocument(errors)
    return body


def edit_node(node_id, body, now=None):
    """Applies a PATCH body to node `node_id` and returns the node. `is_paused` false clears the pause
    reason; `is_active` false stamps `deprecated`, true clears it (only when it changes). A paused or
    deprecated node takes no new jobs; its running jobs finish. InvalidDocument for a bad body;
    Node.DoesNotExist for an unknown node."""
    body = _checked(body)
    now = now or timezone.now()
    with transaction.atomic():
        node = Node.objects.select_for_update().get(pk=node_id)
        if 'is_paused' in body:
            node.is_paused = body['is_paused']
        if 'pause_reason' in body:
            node.pause_reason = body['pause_reason']
        if not node.is_paused:
            node.pause_reason = None
        if 'is_active' in body and body['is_active'] != node.is_active:
            node.is_active = body['is_active']
            node.deprecated = None if node.is_active else now
        node.save()
    return node


SCHEDULER_EDITABLE = ('is_paused', 'queue_mode', 'num_message_handlers', 'system_logging_level')
MAX_MESSAGE_HANDLERS = 1000


def _checked_scheduler(body):
    accepted = ', '.join(SCHEDULER_EDITABLE)
    if not isinstance(body, dict):
        raise InvalidDocument.at('__all__', f'The body must be a JSON object with {accepted}.')
    errors = {key: [f'is not a field; use {accepted}'] for key in sorted(set(body) - set(SCHEDULER_EDITABLE))}
    if not body:
        errors['__all__'] = [f'No fields given; use {accepted}.']
    if 'is_paused' in body and not isinstance(body['is_paused'], bool):
        errors['is_paused'] = ['must be a JSON boolean (true or false)']
    for key, choices in (('queue_mode', QueueMode), ('system_logging_level', LoggingLevel)):
        if key in body and body[key] not in choices.values:
            shown = json.dumps(body[key])
            shown = shown if len(shown) <= 40 else shown[:37] + '...'
            errors[key] = [f'{shown} is not one of: {", ".join(choices.values)}']
    handlers = body.get('num_message_handlers')
    if 'num_message_handlers' in body and (
        not isinstance(handlers, int)
        or isinstance(handlers, bool)
        or not 0 <= handlers <= MAX_MESSAGE_HANDLERS
    ):
        errors['num_message_handlers'] = [f'must be an integer from 0 to {MAX_MESSAGE_HANDLERS}']
    if errors:
        raise InvalidDocument(errors)
    return body


def edit_scheduler(body):
    """Applies a PATCH body to the scheduler settings (node.models.Scheduler) and returns the row.

    Keys: `is_paused` (boolean), `queue_mode` (FIFO or LIFO), `num_message_handlers` (0 to 1000),
    `system_logging_level` (DEBUG, INFO, WARNING, ERROR, CRITICAL); all optional, at least one.
    InvalidDocument naming every bad key (unknown keys included) and nothing changes. The row is
    locked while it changes, and a pass holds it while it places jobs: once a pause has been written
    no job is placed (the pass in flight has placed its jobs before the write)."""
    body = _checked_scheduler(body)
    config = Scheduler.load()
    with transaction.atomic():
        config = Scheduler.objects.select_for_update().get(pk=config.pk)
        for key in SCHEDULER_EDITABLE:
            if key in body:
                setattr(config, key, body[key])
        config.save(update_fields=[*[key for key in SCHEDULER_EDITABLE if key in body], 'last_modified'])
    return config
