"""FilterSets of the jobs API: every query parameter of the v6 contract, declared and validated."""

from django.db.models import DurationField, ExpressionWrapper, F

from job.choices import ErrorCategory, ExecutionStatus, InputFileTimeField, JobStatus
from job.models import Job, JobExecution, JobExecutionLog, JobInputFile, ScaleFile
from scale.api.filters import (
    BooleanFilter,
    ChoiceFilter,
    IdFilter,
    LimitFilter,
    MultiValueCharFilter,
    MultiValueChoiceFilter,
    MultiValueIdFilter,
    OrderingFilter,
    PagedFilterSet,
    ScaleFilterSet,
    TimeFilter,
)

DEFAULT_LOG_LIMIT = 100_000
MAX_LOG_LIMIT = 1_000_000

DURATION = ExpressionWrapper(F('ended') - F('started'), output_field=DurationField())

JOB_ORDER_FIELDS = {
    **{
        name: (name,)
        for name in (
            'id',
            'status',
            'is_superseded',
            'priority',
            'max_tries',
            'num_exes',
            'input_file_size',
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
        )
    },
    'job_type__name': ('job_type__name',),
    'job_type__version': ('job_type__version',),
    'duration': (DURATION,),
    # Aliases the Scale web UI sends (its column names).
    'job_type': ('job_type__name',),
    'recipe': ('recipe__recipe_type__title',),
    'node': ('node__hostname',),
    'error.category': ('error__category',),
    'error.title': ('error__title',),
}


class JobFilterSet(PagedFilterSet):
    """GET /v6/jobs/. `started`/`ended` bound `last_modified` (as in Scale), inclusive."""

    started = TimeFilter(
        field_name='last_modified', lookup_expr='gte', help_text='Jobs last modified at or after this time.'
    )
    ended = TimeFilter(
        field_name='last_modified', lookup_expr='lte', help_text='Jobs last modified at or before this time.'
    )
    source_started = TimeFilter(
        field_name='source_started', lookup_expr='gte', help_text='Source collection started at or after.'
    )
    source_ended = TimeFilter(
        field_name='source_ended', lookup_expr='lte', help_text='Source collection ended at or before.'
    )
    source_sensor_class = MultiValueCharFilter(help_text='Source sensor class.')
    source_sensor = MultiValueCharFilter(help_text='Source sensor.')
    source_collection = MultiValueCharFilter(help_text='Source collection.')
    source_task = MultiValueCharFilter(help_text='Source task.')
    source_tasks = MultiValueCharFilter(
        field_name='source_task', help_text='Alias of source_task (the v6 doc).'
    )
    status = MultiValueChoiceFilter(choices=JobStatus.choices, help_text='Job status.')
    job_id = MultiValueIdFilter(field_name='id', help_text='Job id.')
    job_type_id = MultiValueIdFilter(field_name='job_type_id', help_text='Job type id.')
    job_type_name = MultiValueCharFilter(
        field_name='job_type__name', help_text='Job type name (all versions).'
    )
    job_type_version = MultiValueCharFilter(
        field_name='job_type__version', help_text='Job type version; with job_type_name, both must match.'
    )
    batch_id = MultiValueIdFilter(field_name='batch_id', help_text='Batch id.')
    recipe_id = MultiValueIdFilter(field_name='recipe_id', help_text='Id of the recipe that created the job.')
    error_category = MultiValueChoiceFilter(
        field_name='error__category', choices=ErrorCategory.choices, help_text="Category of the job's error."
    )
    error_id = MultiValueIdFilter(field_name='error_id', help_text="Id of the job's error.")
    is_superseded = BooleanFilter(
        field_name='is_superseded', help_text='Superseded jobs only (true) or none.'
    )
    order = OrderingFilter(fields=JOB_ORDER_FIELDS, default=('last_modified',))

    time_ranges = (('started', 'ended'), ('source_started', 'source_ended'))

    class Meta(PagedFilterSet.Meta):
        model = Job


EXECUTION_ORDER_FIELDS = {
    name: (name,)
    for name in ('id', 'exe_num', 'status', 'created', 'queued', 'started', 'ended', 'last_modified')
}


class JobExecutionFilterSet(PagedFilterSet):
    """GET /v6/jobs/{id}/executions/ (newest first)."""

    status = MultiValueChoiceFilter(choices=ExecutionStatus.choices, help_text='Execution status.')
    node_id = MultiValueIdFilter(field_name='node_id', help_text='Id of the node it ran on.')
    error_id = MultiValueIdFilter(field_name='error_id', help_text="Id of the execution's error.")
    error_category = MultiValueChoiceFilter(
        field_name='error__category',
        choices=ErrorCategory.choices,
        help_text="Category of the execution's error.",
    )
    order = OrderingFilter(fields=EXECUTION_ORDER_FIELDS, default=('-exe_num',))

    class Meta(PagedFilterSet.Meta):
        model = JobExecution


class AllJobExecutionFilterSet(JobExecutionFilterSet):
    """GET /v6/job-executions/ (newest first)."""

    job_id = MultiValueIdFilter(field_name='job_id', help_text='Job id.')
    job_type_id = MultiValueIdFilter(field_name='job_type_id', help_text='Job type id.')
    order = OrderingFilter(fields=EXECUTION_ORDER_FIELDS, default=('-id',))

    class Meta(JobExecutionFilterSet.Meta):
        pass


TIME_FIELD_BOUNDS = {
    InputFileTimeField.SOURCE: ('source_started', 'source_ended'),
    InputFileTimeField.DATA: ('data_started', 'data_ended'),
    InputFileTimeField.LAST_MODIFIED: ('last_modified', 'last_modified'),
}


class JobInputFileFilterSet(PagedFilterSet):
    """GET /v6/jobs/{id}/input_files/. The view passes the job id as `job_id`."""

    started = TimeFilter(method='filter_started', help_text='Lower bound of the time_field pair.')
    ended = TimeFilter(method='filter_ended', help_text='Upper bound of the time_field pair.')
    time_field = ChoiceFilter(
        choices=InputFileTimeField.choices,
        method='filter_noop',
        help_text='Which file times started/ended bound: source (source_started/source_ended), data '
        '(data_started/data_ended) or last_modified (default).',
    )
    file_name = MultiValueCharFilter(field_name='file_name', help_text='File name (exact).')
    job_input = MultiValueCharFilter(
        method='filter_job_input', help_text='Name of the job input it was given to.'
    )
    order = OrderingFilter(
        fields={name: (name,) for name in ('id', 'file_name', 'file_size', 'created', 'last_modified')},
        default=('last_modified',),
    )

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = ScaleFile

    def _bounds(self):
        return TIME_FIELD_BOUNDS[self.form.cleaned_data.get('time_field') or InputFileTimeField.LAST_MODIFIED]

    def filter_started(self, queryset, name, value):
        return queryset.filter(**{f'{self._bounds()[0]}__gte': value})

    def filter_ended(self, queryset, name, value):
        return queryset.filter(**{f'{self._bounds()[1]}__lte': value})

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_job_input(self, queryset, name, value):
        if not value:
            return queryset
        links = JobInputFile.objects.filter(job_id=self.request.parser_context['kwargs']['job_id'])
        return queryset.filter(id__in=links.filter(job_input__in=value).values('input_file_id'))


class LogFilterSet(ScaleFilterSet):
    """GET /v6/job-executions/{id}/logs/{stdout|stderr|combined}/."""

    started = TimeFilter(
        field_name='timestamp', lookup_expr='gte', help_text='Lines logged at or after this time.'
    )
    ended = TimeFilter(
        field_name='timestamp', lookup_expr='lte', help_text='Lines logged at or before this time.'
    )
    after = IdFilter(
        field_name='scale_order_num',
        lookup_expr='gt',
        help_text='Lines whose scale_order_num is greater than this (a tail cursor: the last number seen).',
    )
    limit = LimitFilter(
        maximum=MAX_LOG_LIMIT,
        default=DEFAULT_LOG_LIMIT,
        help_text=f'At most this many lines, 1 to {MAX_LOG_LIMIT} (default {DEFAULT_LOG_LIMIT}).',
    )

    time_ranges = (('started', 'ended'),)

    class Meta(ScaleFilterSet.Meta):
        model = JobExecutionLog
