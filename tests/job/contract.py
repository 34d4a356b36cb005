"""The key sets of the v6 response objects (shared/spec/scale-v6-jobs-api.txt and the behaviour
reference, section 6), stated once for every test that checks a shape."""

JOB_TYPE_KEYS = frozenset(
    {
        'id',
        'name',
        'version',
        'title',
        'description',
        'is_active',
        'is_paused',
        'is_system',
        'is_published',
        'icon_code',
        'unmet_resources',
    }
)
JOB_TYPE_REV_DETAIL_KEYS = frozenset(
    {'id', 'job_type', 'revision_num', 'docker_image', 'created', 'manifest'}
)
ERROR_KEYS = frozenset(
    {'id', 'name', 'title', 'description', 'job_type_name', 'category', 'is_builtin', 'should_be_retried'}
)
JOB_LIST_KEYS = frozenset(
    {
        'id',
        'job_type',
        'job_type_rev',
        'event',
        'recipe',
        'batch',
        'is_superseded',
        'superseded_job',
        'status',
        'node',
        'error',
        'max_tries',
        'num_exes',
        'input_file_size',
        'input_files',
        'source_started',
        'source_ended',
        'source_sensor_class',
        'source_sensor',
        'source_collection',
        'source_task',
        'created',
        'queued',
        'started',
        'ended',
        'last_status_change',
        'superseded',
        'last_modified',
    }
)
JOB_DETAIL_KEYS = JOB_LIST_KEYS | {
    'superseded_by_job',
    'resources',
    'execution',
    'input',
    'output',
    'configuration',
    'queue_reason',  # ours: why a QUEUED job is not running yet
}
EXECUTION_LIST_KEYS = frozenset(
    {
        'id',
        'status',
        'exe_num',
        'cluster_id',
        'created',
        'queued',
        'started',
        'ended',
        'job',
        'node',
        'error',
        'job_type',
        'timeout',
        'input_file_size',
    }
)
EXECUTION_DETAIL_KEYS = EXECUTION_LIST_KEYS | {'task_results', 'resources', 'configuration', 'output'}

SCALE_FILE_KEYS = frozenset(
    {
        'id',
        'file_name',
        'workspace',
        'data_type_tags',
        'media_type',
        'file_type',
        'file_size',
        'file_path',
        'is_deleted',
        'url',
        'created',
        'deleted',
        'data_started',
        'data_ended',
        'source_started',
        'source_ended',
        'source_sensor_class',
        'source_sensor',
        'source_collection',
        'source_task',
        'last_modified',
        'geometry',
        'center_point',
        'countries',
        'job_type',
        'job',
        'job_exe',
        'job_output',
        'recipe_type',
        'recipe',
        'recipe_node',
        'batch',
        'is_superseded',
        'superseded',
    }
)
# The `order` keys the Scale web UI sends on /v6/jobs/ (its column names; scale-ui-client.md 2.1).
UI_ORDER_KEYS = (
    'job_type',
    'recipe',
    'created',
    'last_modified',
    'node',
    'duration',
    'status',
    'error.category',
    'error.title',
)
