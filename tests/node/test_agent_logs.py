"""job.services.logs.append_log_lines (the agent's log store) and the agent's batching of captured
lines (node/agent/logs.py)."""

import pytest
from django.utils import timezone

from job.choices import JobStatus
from job.models import JobExecutionLog
from job.services.logs import LogLine, append_log_lines, next_order_num
from node.agent import logs as agent_logs
from node.agent.logs import FLUSH_LINES, LineBuffer, LogBatcher
from node.models import Node
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def execution():
    node = factories.node()
    job = factories.job(status=JobStatus.RUNNING, node=node)
    return factories.execution(job, node=node)


def stored(execution):
    return list(
        JobExecutionLog.objects.filter(job_exe=execution)
        .order_by('scale_order_num')
        .values_list('scale_order_num', 'stream', 'message')
    )


def line(message, stream='stdout'):
    return LogLine(stream, message, timezone.now())


def test_lines_are_numbered_after_the_highest_stored_and_counted_on_the_node(execution):
    assert next_order_num(execution.id) == 1
    next_num = append_log_lines(execution.id, [line('a'), line('b', 'stderr')], node_id=execution.node_id)
    assert next_num == 3
    assert append_log_lines(execution.id, [line('c')], start=next_num, node_id=execution.node_id) == 4
    assert stored(execution) == [(1, 'stdout', 'a'), (2, 'stderr', 'b'), (3, 'stdout', 'c')]
    assert Node.objects.get(pk=execution.node_id).log_lines_ingested == 3
    line_row = JobExecutionLog.objects.get(job_exe=execution, scale_order_num=1)
    assert line_row.timestamp is not None and line_row.timestamp.tzinfo is not None


def test_numbers_taken_meanwhile_are_skipped_not_overwritten(execution):
    factories.log_lines(execution, [('stdout', 'other writer')])
    assert append_log_lines(execution.id, [line('mine')], start=1) == 3
    assert stored(execution) == [(1, 'stdout', 'other writer'), (2, 'stdout', 'mine')]


def test_nul_characters_are_replaced_and_unknown_streams_refused(execution):
    append_log_lines(execution.id, [line('a\x00b')])
    assert stored(execution) == [(1, 'stdout', 'a\ufffdb')]
    with pytest.raises(ValueError, match='stream'):
        append_log_lines(execution.id, [line('x', 'stdin')])


def test_nothing_to_store_changes_nothing(execution):
    assert append_log_lines(execution.id, [], start=7) == 7
    assert stored(execution) == []


def test_batches_are_stored_every_thousand_lines_or_half_second(execution):
    buffer = LineBuffer(writers=1)
    batcher = LogBatcher(execution.id, execution.node_id)
    for number in range(FLUSH_LINES + 10):
        buffer.put(line(str(number)))
    assert batcher.pump(buffer, now=100.0) == FLUSH_LINES  # a full batch goes at once
    assert batcher.pump(buffer, now=100.1) == 0  # ten lines wait...
    assert batcher.pump(buffer, now=100.0 + agent_logs.FLUSH_SECONDS) == 10  # ...half a second at most
    assert [message for _, _, message in stored(execution)] == [str(n) for n in range(FLUSH_LINES + 10)]


def test_a_batch_of_long_lines_is_stored_before_it_grows_large(execution, monkeypatch):
    monkeypatch.setattr(agent_logs, 'FLUSH_CHARS', 100)
    buffer = LineBuffer(writers=1)
    batcher = LogBatcher(execution.id, execution.node_id)
    for _ in range(5):
        buffer.put(line('x' * 40))
    # Three lines hold 120 characters, past the 100 of a batch: they are stored without waiting.
    assert batcher.pump(buffer, now=0.0, max_flushes=1) == 3
    assert len(batcher.pending) == 0 and len(stored(execution)) == 3


def test_agent_lines_are_redacted(execution):
    batcher = LogBatcher(execution.id, execution.node_id, redact=lambda text: text.replace('s3cret', '*****'))
    batcher.add_agent_line('token s3cret refused')
    batcher.flush()
    assert stored(execution) == [(1, 'stderr', '[scale-agent] token ***** refused')]
