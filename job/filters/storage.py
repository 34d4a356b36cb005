"""FilterSets of the workspaces and files APIs (shared/reference/scale-supporting-apis.md sections 5
and 6.1): every query parameter declared and validated."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower

from job.choices import FileType
from job.models import ScaleFile, Workspace
from scale.api.fields import multivalue_field_factory
from scale.api.filters import (
    BooleanFilter,
    MultiValueCharFilter,
    MultiValueChoiceFilter,
    MultiValueFilter,
    MultiValueIdFilter,
    OrderingFilter,
    PagedFilterSet,
    ScaleFilter,
    TimeFilter,
)

WORKSPACE_ORDER_FIELDS = {
    **{name: (name,) for name in ('id', 'is_active', 'created', 'deprecated', 'last_modified')},
    # Case-insensitive, as in Scale.
    **{name: (Lower(name),) for name in ('name', 'title', 'description')},
}


class WorkspaceFilterSet(PagedFilterSet):
    """GET /v6/workspaces/. `started`/`ended` bound `last_modified`, inclusive; default order `name`."""

    started = TimeFilter(
        field_name='last_modified',
        lookup_expr='gte',
        help_text='Workspaces last modified at or after this time.',
    )
    ended = TimeFilter(
        field_name='last_modified',
        lookup_expr='lte',
        help_text='Workspaces last modified at or before this time.',
    )
    name = MultiValueCharFilter(field_name='name', help_text='Workspace name (exact).')
    is_active = BooleanFilter(field_name='is_active', help_text='Active (true) or inactive (false) ones.')
    order = OrderingFilter(fields=WORKSPACE_ORDER_FIELDS, default=('name',))

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = Workspace


class CountryCodeField(forms.CharField):
    """An ISO 3166-1 alpha-3 code (three letters, any case), returned upper-case."""

    def to_python(self, value):
        value = super().to_python(value)
        if value and not re.fullmatch(r'[A-Za-z]{3}', value):
            raise ValidationError(f'"{value}" is not an ISO 3166-1 alpha-3 country code (three letters)')
        return value.upper()


class CountryFilter(MultiValueFilter):
    """Files whose `countries` list holds any of the codes. The codes are letters only, so matching
    the quoted code in the JSON text is exact, on SQLite and PostgreSQL alike."""

    field_class = multivalue_field_factory(CountryCodeField)
    schema = {'type': 'string', 'pattern': '^[A-Za-z]{3}$'}

    def filter(self, qs, value):
        if not value:
            return qs
        match = Q()
        for code in dict.fromkeys(value):
            match |= Q(**{f'{self.field_name}__icontains': f'"{code}"'})
        return qs.filter(match)


class SearchFilter(ScaleFilter):
    """A case-insensitive substring of `field_name`."""

    field_class = forms.CharField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault('lookup_expr', 'icontains')
        kwargs.setdefault('max_length', 250)
        super().__init__(*args, **kwargs)


FILE_ORDER_FIELDS = {
    **{
        name: (name,)
        for name in (
            'id',
            'file_size',
            'is_deleted',
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
            'job_output',
            'recipe_node',
            'is_superseded',
            'superseded',
            'last_modified',
        )
    },
    # Case-insensitive, as in Scale.
    **{name: (Lower(name),) for name in ('file_name', 'file_type', 'media_type', 'file_path')},
}


class ScaleFileFilterSet(PagedFilterSet):
    """GET /v6/files/. Each bound is inclusive; `job_id` selects the files a job produced (outputs)."""

    data_started = TimeFilter(
        field_name='data_started', lookup_expr='gte', help_text='data_started at or after.'
    )
    data_ended = TimeFilter(field_name='data_ended', lookup_expr='lte', help_text='data_ended at or before.')
    created_started = TimeFilter(field_name='created', lookup_expr='gte', help_text='Created at or after.')
    created_ended = TimeFilter(field_name='created', lookup_expr='lte', help_text='Created at or before.')
    source_started = TimeFilter(
        field_name='source_started', lookup_expr='gte', help_text='source_started at or after.'
    )
    source_ended = TimeFilter(
        field_name='source_ended', lookup_expr='lte', help_text='source_ended at or before.'
    )
    modified_started = TimeFilter(
        field_name='last_modified', lookup_expr='gte', help_text='Last modified at or after.'
    )
    modified_ended = TimeFilter(
        field_name='last_modified', lookup_expr='lte', help_text='Last modified at or before.'
    )
    source_sensor_class = MultiValueCharFilter(help_text='Source sensor class (exact).')
    source_sensor = MultiValueCharFilter(help_text='Source sensor (exact).')
    source_collection = MultiValueCharFilter(help_text='Source collection (exact).')
    source_task = MultiValueCharFilter(help_text='Source task (exact).')
    job_type_id = MultiValueIdFilter(
        field_name='job_type_id', help_text='Id of the job type that produced it.'
    )
    job_id = MultiValueIdFilter(
        field_name='job_id', help_text='Id of the job that produced it (its outputs).'
    )
    recipe_id = MultiValueIdFilter(field_name='recipe_id', help_text='Id of the recipe that produced it.')
    recipe_type_id = MultiValueIdFilter(
        field_name='recipe_type_id', help_text='Id of the producing recipe type.'
    )
    batch_id = MultiValueIdFilter(field_name='batch_id', help_text='Id of the producing batch.')
    job_type_name = MultiValueCharFilter(
        field_name='job_type__name', help_text='Name of the job type that produced it.'
    )
    job_output = MultiValueCharFilter(help_text='Name of the job output it was produced as.')
    recipe_node = MultiValueCharFilter(help_text='Name of the recipe node that produced it.')
    file_name = MultiValueCharFilter(help_text='File name (exact).')
    file_name_search = SearchFilter(
        field_name='file_name', help_text='Case-insensitive substring of the file name.'
    )
    file_type = MultiValueChoiceFilter(choices=FileType.choices, help_text='SOURCE or PRODUCT.')
    media_type = MultiValueCharFilter(help_text='Media type (exact).')
    countries = CountryFilter(
        field_name='countries', help_text='ISO 3166-1 alpha-3 code of a country the file covers.'
    )
    order = OrderingFilter(fields=FILE_ORDER_FIELDS, default=('last_modified',))

    time_ranges = (
        ('data_started', 'data_ended'),
        ('created_started', 'created_ended'),
        ('source_started', 'source_ended'),
        ('modified_started', 'modified_ended'),
    )

    class Meta(PagedFilterSet.Meta):
        model = ScaleFile
