"""manage.py run_all (what `make run` starts): the API, the scheduler, the task worker and a local
node, configured from the environment."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from scale.management.commands.run_all import GRACE_SECONDS, NODE_DRAIN_SECONDS, NODE_KILL_GRACE, processes


def _argv(name, found):
    return next(argv for process, argv in found if process == name)


def test_every_process_is_started(monkeypatch):
    monkeypatch.delenv('SCALE_LOCAL_NODE', raising=False)
    monkeypatch.setenv('SCALE_API_TIMEOUT', '120')
    found = processes()
    assert [name for name, _ in found] == ['api', 'scheduler', 'worker', 'node']
    api = _argv('api', found)
    assert api[api.index('--timeout') + 1] == '120'
    assert _argv('worker', found)[-2:] == ['db_worker', '--no-startup-delay']
    node = _argv('node', found)
    assert node[node.index('--drain-seconds') + 1] == str(NODE_DRAIN_SECONDS)
    # The node drains and stops its jobs before run_all would kill it.
    assert NODE_DRAIN_SECONDS + NODE_KILL_GRACE < GRACE_SECONDS


def test_the_local_node_can_be_left_out_and_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv('SCALE_LOCAL_NODE', 'false')
    assert 'node' not in [name for name, _ in processes()]
    monkeypatch.setenv('SCALE_API_TIMEOUT', '5')
    with pytest.raises(ImproperlyConfigured, match='SCALE_API_TIMEOUT'):
        processes()
