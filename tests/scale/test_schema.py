"""The OpenAPI 3 description at /v6/schema/ and the Swagger UI at /v6/docs/: valid, and documenting
every query parameter with its type, choices and repeatability; plus a guard that every Job column
is either filterable or deliberately not."""

import pytest
from openapi_spec_validator import validate

from job.choices import ErrorCategory, ExecutionStatus, InputFileTimeField, JobStatus
from job.filters.jobs import (
    AllJobExecutionFilterSet,
    JobExecutionFilterSet,
    JobFilterSet,
    JobInputFileFilterSet,
    LogFilterSet,
)
from job.models import Job
from scale import settings as project_settings
from tests.job.contract import UI_ORDER_KEYS

JOBS = '/v6/jobs/'
JOB_EXECUTIONS = '/v6/jobs/{job_id}/executions/'
INPUT_FILES = '/v6/jobs/{job_id}/input_files/'
ALL_EXECUTIONS = '/v6/job-executions/'
LOGS = '/v6/job-executions/{exe_id}/logs/{log_id}/'
LISTS = {
    JOBS: JobFilterSet,
    JOB_EXECUTIONS: JobExecutionFilterSet,
    INPUT_FILES: JobInputFileFilterSet,
    ALL_EXECUTIONS: AllJobExecutionFilterSet,
}
DETAILS = [
    '/v6/jobs/{job_id}/',
    '/v6/jobs/{job_id}/executions/{exe_num}/',
    '/v6/job-executions/{exe_id}/',
]

# The v6 contract's jobs list parameters (spec table, with source_task besides the documented
# source_tasks, and job_type_version that the Scale web UI sends).
JOBS_PARAMETERS = {
    'page',
    'page_size',
    'started',
    'ended',
    'source_started',
    'source_ended',
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'source_tasks',
    'order',
    'status',
    'job_id',
    'job_type_id',
    'job_type_name',
    'job_type_version',
    'batch_id',
    'recipe_id',
    'error_category',
    'error_id',
    'is_superseded',
}
JOBS_REPEATABLE = {
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'source_tasks',
    'order',
    'status',
    'job_id',
    'job_type_id',
    'job_type_name',
    'job_type_version',
    'batch_id',
    'recipe_id',
    'error_category',
    'error_id',
}
EXECUTIONS_PARAMETERS = {'page', 'page_size', 'status', 'node_id', 'error_id', 'error_category', 'order'}
INPUT_FILES_PARAMETERS = {
    'page',
    'page_size',
    'started',
    'ended',
    'time_field',
    'file_name',
    'job_input',
    'order',
}
# Order keys the Scale web UI sends (scale-ui-client.md checklist item 6) and those of DESIGN.md section 5.
DOCUMENTED_ORDER_KEYS = {*UI_ORDER_KEYS, 'job_type__name', 'job_type__version'}


@pytest.fixture(scope='module')
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get('/v6/schema/', {'format': 'json'})
    assert response.status_code == 200, response.content
    return response.json()


def query_parameters(schema, path):
    return {
        parameter['name']: parameter
        for parameter in schema['paths'][path]['get'].get('parameters', [])
        if parameter['in'] == 'query'
    }


def item_schema(parameter):
    schema = parameter['schema']
    return schema['items'] if schema.get('type') == 'array' else schema


def test_schema_is_valid_openapi_3(schema):
    assert schema['openapi'].startswith('3.')
    validate(schema)


@pytest.mark.django_db
def test_schema_is_served_as_yaml_by_default_and_to_anonymous_clients(anon_client):
    response = anon_client.get('/v6/schema/')

    assert response.status_code == 200
    assert response['Content-Type'].startswith('application/vnd.oai.openapi')
    assert response.content.startswith(b'openapi: 3.')


def test_every_endpoint_is_described(schema):
    assert set(LISTS) | set(DETAILS) | {LOGS} <= set(schema['paths'])
    for path in [*LISTS, *DETAILS, LOGS]:
        assert 'get' in schema['paths'][path], path


def test_jobs_list_documents_the_full_v6_parameter_set(schema):
    parameters = query_parameters(schema, JOBS)

    assert set(parameters) >= JOBS_PARAMETERS
    for name in JOBS_REPEATABLE:
        assert parameters[name]['schema']['type'] == 'array', name
        assert 'items' in parameters[name]['schema'], name
        assert parameters[name].get('explode', True) is True, name
    for name in JOBS_PARAMETERS - JOBS_REPEATABLE:
        assert parameters[name]['schema'].get('type') != 'array', name
        assert parameters[name].get('required', False) is False, name
    for name in ('job_id', 'job_type_id', 'batch_id', 'recipe_id', 'error_id'):
        assert item_schema(parameters[name])['type'] == 'integer', name
    for name in ('started', 'ended', 'source_started', 'source_ended'):
        assert parameters[name]['schema']['type'] == 'string', name
    assert parameters['is_superseded']['schema']['type'] == 'boolean'
    page_size = parameters['page_size']['schema']
    assert (page_size['type'], page_size['minimum'], page_size['maximum'], page_size['default']) == (
        'integer',
        1,
        1000,
        100,
    )


def test_jobs_list_enums(schema):
    parameters = query_parameters(schema, JOBS)

    assert set(item_schema(parameters['status'])['enum']) == set(JobStatus.values)
    assert set(item_schema(parameters['error_category'])['enum']) == set(ErrorCategory.values)
    order = set(item_schema(parameters['order'])['enum'])
    for key in DOCUMENTED_ORDER_KEYS:
        assert key in order, key
        assert f'-{key}' in order, key


def test_execution_lists_document_their_parameters(schema):
    nested = query_parameters(schema, JOB_EXECUTIONS)
    everywhere = query_parameters(schema, ALL_EXECUTIONS)

    assert set(nested) >= EXECUTIONS_PARAMETERS
    assert EXECUTIONS_PARAMETERS | {'job_id', 'job_type_id'} <= set(everywhere)
    for parameters in (nested, everywhere):
        assert set(item_schema(parameters['status'])['enum']) == set(ExecutionStatus.values)
        assert set(item_schema(parameters['error_category'])['enum']) == set(ErrorCategory.values)
        for name in ('status', 'node_id', 'error_id', 'error_category', 'order'):
            assert parameters[name]['schema']['type'] == 'array', name
        assert item_schema(parameters['node_id'])['type'] == 'integer'
    for name in ('job_id', 'job_type_id'):
        assert everywhere[name]['schema']['type'] == 'array'
        assert everywhere[name]['schema']['items']['type'] == 'integer'


def test_input_files_list_documents_its_parameters(schema):
    parameters = query_parameters(schema, INPUT_FILES)

    assert set(parameters) >= INPUT_FILES_PARAMETERS
    assert set(parameters['time_field']['schema']['enum']) == set(InputFileTimeField.values)
    assert parameters['time_field']['schema']['type'] == 'string'
    assert parameters['started']['schema']['type'] == 'string'
    assert parameters['file_name']['schema']['type'] == 'array'
    assert parameters['job_input']['schema']['type'] == 'array'


@pytest.mark.parametrize('path', list(LISTS))
def test_every_declared_filter_is_documented(schema, path):
    assert set(query_parameters(schema, path)) == set(LISTS[path].base_filters)


@pytest.mark.parametrize('path', list(LISTS))
def test_lists_document_a_400_naming_the_parameters(schema, path):
    responses = schema['paths'][path]['get']['responses']

    assert {'200', '400', '401', '404'} <= set(responses)
    reference = responses['400']['content']['application/json']['schema']['$ref']
    error_schema = schema['components']['schemas'][reference.rsplit('/', 1)[-1]]
    assert {'detail', 'errors'} <= set(error_schema['properties'])


@pytest.mark.parametrize('path', DETAILS)
def test_details_document_404(schema, path):
    assert {'200', '401', '404'} <= set(schema['paths'][path]['get']['responses'])


def test_logs_document_formats_parameters_and_responses(schema):
    operation = schema['paths'][LOGS]['get']
    parameters = query_parameters(schema, LOGS)

    assert set(LogFilterSet.base_filters) <= set(parameters)
    assert {'json', 'jsonl', 'txt', 'html'} <= set(parameters['format']['schema']['enum'])
    assert parameters['limit']['schema']['type'] == 'integer'
    assert parameters['limit']['schema']['minimum'] == 1
    assert parameters['after']['schema']['type'] == 'integer'
    assert {'application/json', 'application/x-ndjson', 'text/plain', 'text/html'} <= set(
        operation['responses']['200']['content']
    )
    # Bad started/after/limit values are 400s; no line yet is a 204.
    assert {'200', '204', '400', '401', '404'} <= set(operation['responses'])
    log_id = next(parameter for parameter in operation['parameters'] if parameter['name'] == 'log_id')
    assert log_id['in'] == 'path'
    assert set(log_id['schema']['enum']) == {'stdout', 'stderr', 'combined'}


def test_authentication_schemes_are_documented(schema):
    schemes = schema['components']['securitySchemes']

    assert any(scheme['type'] == 'apiKey' and scheme.get('in') == 'header' for scheme in schemes.values())


@pytest.mark.django_db
@pytest.mark.parametrize('path', ['/v6/docs/', '/v6/docs'])
def test_swagger_ui(anon_client, path):
    response = anon_client.get(path)

    assert response.status_code == 200
    assert response['Content-Type'].startswith('text/html')
    page = response.content.decode()
    assert 'swagger-ui' in page
    assert 'url: "/v6/schema' in page


@pytest.mark.django_db
def test_swagger_ui_assets_are_served_locally(anon_client, settings):
    settings.MIDDLEWARE = project_settings.MIDDLEWARE  # with WhiteNoise, which tests leave out elsewhere
    page = anon_client.get('/v6/docs/').content.decode()
    assert '/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js' in page

    response = anon_client.get('/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js')

    assert response.status_code == 200


# --- Guard: every Job column is filterable or deliberately not -----------------------------------

# Job columns with no filter on GET /v6/jobs/, each for a stated reason. A new column must either get
# a JobFilterSet filter or be added here with its reason; otherwise the test below fails.
JOB_FIELDS_WITHOUT_FILTER = {
    # JSON documents: not filterable by value.
    'input',
    'output',
    'configuration',
    'resources',
    # Relations the v6 contract does not filter on (shown nested in the job detail).
    'job_type_rev',
    'event',
    'superseded_job',
    'node',
    # Times other than last_modified/source_*: the contract's started/ended bound last_modified;
    # these are orderable (order=created ...) but not filters.
    'created',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'superseded',
    # Free text written by the scheduler (why a queued job waits): shown, not filtered.
    'queue_reason',
    # Counters and scheduling numbers: orderable, not filters in the contract.
    'priority',
    'max_tries',
    'num_exes',
    'input_file_size',
}


def _filtered_job_fields():
    """Names of the Job fields some JobFilterSet filter applies to (the first step of its
    field_name; `<fk>_id` counts as the foreign key)."""
    by_name = {field.name: field.name for field in Job._meta.concrete_fields}
    by_name.update({field.attname: field.name for field in Job._meta.concrete_fields})
    covered = set()
    for filter_ in JobFilterSet.base_filters.values():
        first = filter_.field_name.split('__')[0]
        if first in by_name:
            covered.add(by_name[first])
    return covered


def test_every_job_field_has_a_filter_or_a_stated_exemption():
    fields = {field.name for field in Job._meta.concrete_fields}
    covered = _filtered_job_fields()

    missing = fields - covered - JOB_FIELDS_WITHOUT_FILTER
    assert not missing, f'Job fields with neither a JobFilterSet filter nor an exemption: {sorted(missing)}'


def test_the_exemption_list_is_not_stale():
    fields = {field.name for field in Job._meta.concrete_fields}
    covered = _filtered_job_fields()

    assert fields >= JOB_FIELDS_WITHOUT_FILTER, sorted(JOB_FIELDS_WITHOUT_FILTER - fields)
    assert not JOB_FIELDS_WITHOUT_FILTER & covered, sorted(JOB_FIELDS_WITHOUT_FILTER & covered)
    # The filters the contract needs are in place.
    assert {
        'id',
        'job_type',
        'status',
        'batch',
        'recipe',
        'error',
        'is_superseded',
        'last_modified',
        'source_started',
        'source_ended',
        'source_sensor_class',
        'source_sensor',
        'source_collection',
        'source_task',
    } <= covered
