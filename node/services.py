"""Operator changes to nodes (PATCH /v6/nodes/{id}/)."""

from django.db import transaction
from django.utils import timezone

from job.documents import text_problem
from job.exceptions import InvalidDocument
from node.models import Node

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
