"""GET /v6/job-executions/{id}/logs/{stdout|stderr|combined}/ (DESIGN.md section 6: the JSON is the
Elasticsearch-shaped envelope the Scale web UI parses; jsonl and txt stream; 204 when empty)."""

import datetime
import json

import pytest
from django.http import StreamingHttpResponse

from job.choices import ExecutionStatus, JobStatus
from job.models import JobExecutionLog
from tests import factories
from tests.factories import dt

pytestmark = pytest.mark.django_db

START = dt('2024-03-01T12:00:00Z')
UI_ACCEPT = 'application/json, text/plain, */*'
SOURCE_KEYS = {
    '@timestamp',
    'scale_order_num',
    'message',
    'stream',
    'scale_task',
    'scale_job_exe',
    'scale_node',
}
LINES = [
    ('stdout', 'starting'),
    ('stderr', 'warning: low disk'),
    ('stdout', 'working'),
    ('stderr', 'error: <script>alert("x")</script> & more'),
    ('stdout', 'done'),
]


@pytest.fixture
def execution():
    node = factories.node('log-node.example')
    job = factories.job(status=JobStatus.RUNNING, node=node)
    return factories.execution(job, node=node, cluster_id='scale_job_abc_1')


@pytest.fixture
def logged(execution):
    """`execution` with LINES, numbered 1..5, one millisecond apart from START + 1 ms."""
    factories.log_lines(execution, LINES, start=START)
    return execution


def url(execution, log_id='combined'):
    return f'/v6/job-executions/{execution.id}/logs/{log_id}/'


def content(response):
    """The body of a streaming (or ordinary) response, as text."""
    if response.streaming:
        return b''.join(response.streaming_content).decode()
    return response.content.decode()


def hits(response):
    assert response.status_code == 200, content(response)
    return json.loads(content(response))['hits']['hits']


def messages(response):
    return [hit['_source']['message'] for hit in hits(response)]


def test_json_envelope_is_what_the_ui_parses(client, logged):
    response = client.get(url(logged))

    assert response.status_code == 200
    assert response['Content-Type'] == 'application/json'
    body = json.loads(content(response))
    assert set(body) == {'took', 'timed_out', 'hits'}
    assert isinstance(body['took'], int)
    assert body['timed_out'] is False
    assert body['hits']['total'] == 5
    assert len(body['hits']['hits']) == 5
    first = body['hits']['hits'][0]
    assert set(first) == {'_id', '_source', 'sort'}
    assert isinstance(first['_id'], str)
    assert set(first['_source']) == SOURCE_KEYS
    assert first['_source'] == {
        '@timestamp': '2024-03-01T12:00:00.001000Z',
        'scale_order_num': 1,
        'message': 'starting',
        'stream': 'stdout',
        'scale_task': 'main',
        'scale_job_exe': 'scale_job_abc_1',
        'scale_node': 'log-node.example',
    }
    epoch_ms = int(START.timestamp() * 1000)
    assert first['sort'] == [epoch_ms + 1, 1]
    assert [hit['sort'] for hit in body['hits']['hits']] == [[epoch_ms + n, n] for n in range(1, 6)]
    assert [hit['_source']['scale_order_num'] for hit in body['hits']['hits']] == [1, 2, 3, 4, 5]
    assert len({hit['_id'] for hit in body['hits']['hits']}) == 5


def test_ui_accept_header_gives_json(client, logged):
    response = client.get(url(logged), HTTP_ACCEPT=UI_ACCEPT)

    assert response.status_code == 200
    assert response['Content-Type'] == 'application/json'
    assert messages(response) == [message for _, message in LINES]


@pytest.mark.parametrize(
    ('log_id', 'expected'),
    [
        ('stdout', ['starting', 'working', 'done']),
        ('stderr', ['warning: low disk', 'error: <script>alert("x")</script> & more']),
        ('combined', [message for _, message in LINES]),
    ],
)
def test_stream_selection(client, logged, log_id, expected):
    response = client.get(url(logged, log_id))

    assert messages(response) == expected
    assert json.loads(content(client.get(url(logged, log_id))))['hits']['total'] == len(expected)
    streams = {hit['_source']['stream'] for hit in hits(client.get(url(logged, log_id)))}
    assert streams == ({'stdout', 'stderr'} if log_id == 'combined' else {log_id})


def test_lines_are_ordered_by_scale_order_num(client, execution):
    # Stored out of order, with timestamps that disagree with the numbering: scale_order_num decides.
    JobExecutionLog.objects.bulk_create(
        JobExecutionLog(
            job_exe=execution,
            scale_order_num=number,
            stream='stdout',
            message=f'line {number}',
            timestamp=START - datetime.timedelta(seconds=number),
        )
        for number in (3, 1, 5, 2, 4)
    )

    response = client.get(url(execution))

    assert messages(response) == ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']


def test_txt_format(client, logged):
    response = client.get(url(logged), {'format': 'txt'})

    assert response.status_code == 200
    assert response['Content-Type'] == 'text/plain; charset=utf-8'
    assert content(response) == ''.join(f'{message}\n' for _, message in LINES)


def test_txt_by_accept_header(client, logged):
    response = client.get(url(logged, 'stdout'), HTTP_ACCEPT='text/plain')

    assert response['Content-Type'] == 'text/plain; charset=utf-8'
    assert content(response) == 'starting\nworking\ndone\n'


def test_jsonl_format(client, logged):
    response = client.get(url(logged), {'format': 'jsonl'})

    assert response.status_code == 200
    assert response['Content-Type'] == 'application/x-ndjson'
    lines = content(response).splitlines()
    assert len(lines) == 5
    sources = [json.loads(line) for line in lines]
    assert all(set(source) == SOURCE_KEYS for source in sources)
    assert [source['scale_order_num'] for source in sources] == [1, 2, 3, 4, 5]
    assert sources[1]['stream'] == 'stderr'
    assert sources[1]['message'] == 'warning: low disk'
    assert sources[1]['@timestamp'] == '2024-03-01T12:00:00.002000Z'


def test_html_format_escapes_messages(client, logged):
    response = client.get(url(logged), {'format': 'html'})

    assert response.status_code == 200
    assert response['Content-Type'] == 'text/html; charset=utf-8'
    body = content(response)
    assert '<script>' not in body
    assert (
        '<div class="stderr">error: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</div>'
        in body
    )
    assert '<div class="stdout">starting</div>' in body
    assert body.index('starting') < body.index('warning') < body.index('working') < body.index('done')
    assert body.startswith('<!DOCTYPE html>')
    assert body.rstrip().endswith('</html>')


def test_html_by_accept_header(client, logged):
    response = client.get(url(logged, 'stderr'), HTTP_ACCEPT='text/html')

    assert response['Content-Type'] == 'text/html; charset=utf-8'
    assert '<div class="stdout">' not in content(response)


@pytest.mark.parametrize(
    ('started', 'expected'),
    [
        # Line n is at START + n ms; `started` is inclusive.
        ('2024-03-01T12:00:00.003Z', [3, 4, 5]),
        ('2024-03-01T12:00:00.003000Z', [3, 4, 5]),
        ('2024-03-01T07:00:00.003-05:00', [3, 4, 5]),
        ('2024-03-01T12:00:00.0025Z', [3, 4, 5]),
        ('2024-03-01T12:00:00Z', [1, 2, 3, 4, 5]),
        ('2024-03-01T12:00:00.005Z', [5]),
    ],
)
def test_started_is_inclusive(client, logged, started, expected):
    response = client.get(url(logged), {'started': started})

    assert [hit['_source']['scale_order_num'] for hit in hits(response)] == expected


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ({'ended': '2024-03-01T12:00:00.002Z'}, [1, 2]),
        ({'started': '2024-03-01T12:00:00.002Z', 'ended': '2024-03-01T12:00:00.004Z'}, [2, 3, 4]),
        ({'ended': '2030-01-01T00:00:00Z', 'after': 3}, [4, 5]),
    ],
)
def test_ended_is_inclusive(client, logged, query, expected):
    response = client.get(url(logged), query)

    assert [hit['_source']['scale_order_num'] for hit in hits(response)] == expected


def test_started_after_ended_is_400(client, logged):
    response = client.get(url(logged), {'started': '2024-03-01T12:00:01Z', 'ended': '2024-03-01T12:00:00Z'})

    assert response.status_code == 400
    assert 'started' in response.json()['errors']


def test_started_after_every_line_is_204(client, logged):
    response = client.get(url(logged), {'started': '2024-03-01T12:00:00.006Z'})

    assert response.status_code == 204
    assert response.content == b''


def test_after_is_a_tail_cursor(client, logged):
    response = client.get(url(logged), {'after': 2})

    assert [hit['_source']['scale_order_num'] for hit in hits(response)] == [3, 4, 5]
    assert json.loads(content(client.get(url(logged), {'after': 2})))['hits']['total'] == 3
    assert [
        hit['_source']['scale_order_num'] for hit in hits(client.get(url(logged, 'stdout'), {'after': 1}))
    ] == [3, 5]
    assert client.get(url(logged), {'after': 5}).status_code == 204


def test_after_the_largest_id_is_204(client, logged):
    assert client.get(url(logged), {'after': 2**63 - 1}).status_code == 204
    assert client.get(url(logged), {'after': 2**63}).status_code == 400


def test_empty_parameters_are_ignored(client, logged):
    response = client.get(url(logged), {'started': '', 'after': '', 'limit': ''})

    assert len(hits(response)) == 5


def test_limit(client, logged):
    response = client.get(url(logged), {'limit': 2})

    body = json.loads(content(response))
    # hits.total counts every matching line (as Elasticsearch did); hits.hits holds at most `limit`.
    assert body['hits']['total'] == 5
    assert [hit['_source']['scale_order_num'] for hit in body['hits']['hits']] == [1, 2]
    assert (
        content(client.get(url(logged), {'limit': 3, 'format': 'txt'}))
        == 'starting\nwarning: low disk\nworking\n'
    )
    tail = client.get(url(logged), {'limit': 2, 'after': 2, 'format': 'jsonl'})
    assert [json.loads(line)['scale_order_num'] for line in content(tail).splitlines()] == [3, 4]


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ({'limit': 0}, 'limit'),
        ({'limit': -1}, 'limit'),
        ({'limit': 'abc'}, 'limit'),
        ({'limit': 1_000_001}, 'limit'),
        ({'after': -1}, 'after'),
        ({'after': 'x'}, 'after'),
        ({'started': 'yesterday'}, 'started'),
        ({'started': '2024-13-01T00:00:00Z'}, 'started'),
        ({'started': 'P'}, 'started'),
    ],
)
def test_bad_parameters_are_400(client, logged, query, parameter):
    response = client.get(url(logged), query)

    assert response.status_code == 400
    assert response['Content-Type'] == 'application/json'
    body = response.json()
    assert parameter in body['errors']
    assert f'"{parameter}"' in body['detail']


def test_bad_parameter_in_txt_is_a_400_in_text(client, logged):
    response = client.get(url(logged), {'limit': 0, 'format': 'txt'})

    assert response.status_code == 400
    assert response['Content-Type'].startswith('text/plain')
    assert '"limit"' in content(response)


@pytest.mark.parametrize('format_', ['json', 'jsonl', 'txt', 'html'])
def test_no_lines_is_204_with_an_empty_body(client, execution, format_):
    response = client.get(url(execution), {'format': format_})

    assert response.status_code == 204
    assert response.content == b''


def test_no_matching_stream_is_204(client, execution):
    factories.log_lines(execution, [('stderr', 'only stderr')], start=START)

    response = client.get(url(execution, 'stdout'), HTTP_ACCEPT=UI_ACCEPT)

    assert response.status_code == 204
    assert response.content == b''
    assert client.get(url(execution, 'stderr')).status_code == 200


def test_logs_of_another_execution_are_not_shown(client, logged):
    job = factories.job(status=JobStatus.RUNNING)
    other = factories.execution(job)
    factories.log_lines(other, [('stdout', 'other execution')], start=START)

    assert 'other execution' not in messages(client.get(url(logged)))
    assert messages(client.get(url(other))) == ['other execution']


def test_execution_without_a_node_has_a_null_scale_node(client):
    job = factories.job(status=JobStatus.CANCELED)
    execution = factories.execution(job, status=ExecutionStatus.CANCELED, node=None)
    factories.log_lines(execution, [('stdout', 'hello')], start=START)

    assert hits(client.get(url(execution)))[0]['_source']['scale_node'] is None


@pytest.mark.parametrize(
    'path',
    [
        '/v6/job-executions/999999/logs/combined/',
        '/v6/job-executions/999999/logs/stdout',
        # The execution is looked up before any parameter is read.
        '/v6/job-executions/999999/logs/combined/?limit=0',
    ],
)
def test_unknown_execution_is_404(client, logged, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_unknown_log_id_is_404(client, logged):
    response = client.get(f'/v6/job-executions/{logged.id}/logs/stdall/')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_unknown_format_is_404(client, logged):
    response = client.get(url(logged), {'format': 'xml'})

    assert response.status_code == 404


def test_a_large_log_streams_completely(client, execution):
    total = 20_000
    JobExecutionLog.objects.bulk_create(
        (
            JobExecutionLog(
                job_exe=execution,
                scale_order_num=number,
                stream='stdout' if number % 3 else 'stderr',
                message=f'line {number}',
                timestamp=START + datetime.timedelta(milliseconds=number),
            )
            for number in range(1, total + 1)
        ),
        batch_size=2000,
    )

    text = client.get(url(execution), {'format': 'txt'})
    assert isinstance(text, StreamingHttpResponse)
    assert text['X-Total-Count'] == str(total)
    lines = content(text).splitlines()
    assert len(lines) == total
    assert lines[0] == 'line 1'
    assert lines[-1] == f'line {total}'
    assert lines == [f'line {number}' for number in range(1, total + 1)]

    response = client.get(url(execution), HTTP_ACCEPT=UI_ACCEPT)
    assert isinstance(response, StreamingHttpResponse)
    body = json.loads(content(response))
    assert body['hits']['total'] == total
    numbers = [hit['_source']['scale_order_num'] for hit in body['hits']['hits']]
    assert numbers == list(range(1, total + 1))

    stderr = client.get(url(execution, 'stderr'), {'format': 'jsonl'})
    assert isinstance(stderr, StreamingHttpResponse)
    assert sum(1 for _ in content(stderr).splitlines()) == total // 3


def test_timestamps_are_written_as_everywhere_else_with_exact_milliseconds(client, execution):
    # A whole second has no fraction; others keep their microseconds; `sort` holds epoch ms, exact
    # (a float product would turn .123 into 122.99... and then 122).
    stamps = [
        dt('2024-03-01T12:00:00Z'),
        dt('2024-03-01T12:00:00.123Z'),
        dt('2024-03-01T12:00:00.000001Z'),
        dt('2023-11-22T23:56:31.123456Z'),
    ]
    JobExecutionLog.objects.bulk_create(
        JobExecutionLog(
            job_exe=execution, scale_order_num=n, stream='stdout', message=f'm{n}', timestamp=stamp
        )
        for n, stamp in enumerate(stamps, start=1)
    )

    body = hits(client.get(url(execution)))
    lines = [
        json.loads(line) for line in content(client.get(url(execution), {'format': 'jsonl'})).splitlines()
    ]

    expected = [
        '2024-03-01T12:00:00Z',
        '2024-03-01T12:00:00.123000Z',
        '2024-03-01T12:00:00.000001Z',
        '2023-11-22T23:56:31.123456Z',
    ]
    assert [hit['_source']['@timestamp'] for hit in body] == expected
    assert [line['@timestamp'] for line in lines] == expected
    assert [hit['sort'] for hit in body] == [
        [1709294400000, 1],
        [1709294400123, 2],
        [1709294400000, 3],
        [1700697391123, 4],
    ]
