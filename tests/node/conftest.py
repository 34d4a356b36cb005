"""Fixtures of the node tests: an in-process agent on its own node and a host output workspace."""

import pytest

from tests import factories
from tests.node.agent_support import make_agent, stop_agent


@pytest.fixture
def agent(tmp_path):
    agent = make_agent(tmp_path / 'work')
    yield agent
    stop_agent(agent)


@pytest.fixture
def output_workspace(tmp_path):
    root = tmp_path / 'workspace'
    root.mkdir()
    return factories.workspace(json_config={'broker': {'type': 'host', 'host_path': str(root)}})
