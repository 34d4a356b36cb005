"""Filter classes shared by every list endpoint.

Every query parameter is a declared filter whose form field validates it (scale/api/fields.py).
Multi-value filters take repeated parameters (`?status=A&status=B`) and OR them with one `IN`;
different parameters AND. Unknown parameters are ignored. A bad value is a 400 naming the
parameter (ParameterError). Each filter also describes itself for the OpenAPI schema.
"""

import copy

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend

from scale.api import fields
from scale.api.exceptions import ParameterError
from scale.api.iso8601 import EXAMPLES, format_datetime

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class ScaleFilter(django_filters.Filter):
    """A filter that knows its OpenAPI item schema (`schema`) and whether it repeats (`many`)."""

    schema = {'type': 'string'}
    many = False

    def __deepcopy__(self, memo):
        # django-filter deep-copies every declared filter for every request (with its form field and
        # the choices inside it: a third of the jobs list's filtering time). A filter is configuration
        # fixed when its class is made; the copy only gets its own `model` and `parent`, and its own
        # FilterMethod (bound to the filter it calls through, to reach the FilterSet's method).
        clone = copy.copy(self)
        if self.method is not None:
            clone.method = self.method
        return clone

    def openapi_schema(self):
        return dict(self.schema)


class ChoicesSchemaMixin:
    """The OpenAPI item schema lists the filter's `choices`."""

    def openapi_schema(self):
        return {'type': 'string', 'enum': [value for value, _ in self.extra['choices']]}


class MultiValueFilter(ScaleFilter):
    """`field_name IN (values)`; no-op without values."""

    many = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault('lookup_expr', 'in')
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f'{self.field_name}__{self.lookup_expr}': list(dict.fromkeys(value))})


class IdFilter(ScaleFilter):
    field_class = fields.IdField
    schema = {'type': 'integer', 'format': 'int64', 'minimum': 0}


class MultiValueCharFilter(MultiValueFilter):
    field_class = fields.multivalue_field_factory(forms.CharField)


class MultiValueIdFilter(MultiValueFilter):
    field_class = fields.multivalue_field_factory(fields.IdField)
    schema = {'type': 'integer', 'format': 'int64', 'minimum': 0}


class MultiValueChoiceFilter(ChoicesSchemaMixin, MultiValueFilter):
    """Values must be among `choices` (case-insensitive)."""

    field_class = fields.multivalue_field_factory(fields.ChoiceField)


class TimeFilter(ScaleFilter):
    """`field_name <lookup> value` where value is an ISO-8601 datetime or duration (now minus it)."""

    field_class = fields.TimeField
    schema = {'type': 'string', 'description': EXAMPLES}


class BooleanFilter(ScaleFilter):
    field_class = fields.BooleanField
    schema = {'type': 'boolean'}


class ChoiceFilter(ChoicesSchemaMixin, ScaleFilter):
    """A single value among `choices`; applied by the FilterSet (method=...) or as an exact match."""

    field_class = fields.ChoiceField


class ParameterOnly:
    """A parameter validated and documented like any filter, but not applied to the queryset: the
    view (or the paginator) reads its cleaned value. Put it first among a filter's bases."""

    def filter(self, qs, value):
        return qs


class PaginationFilter(ParameterOnly, ScaleFilter):
    """Declared so that page and page_size are validated and documented with the other parameters;
    ScalePagination applies them."""


class PageFilter(PaginationFilter):
    field_class = fields.PageField
    schema = {'oneOf': [{'type': 'integer', 'minimum': 1}, {'type': 'string', 'enum': ['last']}]}


class PageSizeFilter(PaginationFilter):
    field_class = fields.PageSizeField
    schema = {'type': 'integer', 'minimum': 1, 'maximum': MAX_PAGE_SIZE, 'default': DEFAULT_PAGE_SIZE}


class LimitFilter(PaginationFilter):
    """A bound on the number of rows a view returns: an integer from 1 to `maximum`; the view reads
    it from the FilterSet's cleaned data."""

    field_class = fields.BoundedIntegerField

    def __init__(self, *, maximum, default, **kwargs):
        self.maximum, self.default = maximum, default
        super().__init__(minimum=1, maximum=maximum, **kwargs)

    def openapi_schema(self):
        return {'type': 'integer', 'minimum': 1, 'maximum': self.maximum, 'default': self.default}


def _is_nullable(model, path):
    """Whether ordering by the lookup `path` can meet NULLs (a nullable column or a nullable join)."""
    for name in path.split('__'):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.null:
            return True
        model = field.related_model
    return False


class OrderingFilter(ChoicesSchemaMixin, ScaleFilter):
    """`order`: one or more keys of `fields`, each optionally prefixed with `-` for descending.

    `fields` maps a public key to the lookups (or expressions) it sorts by. The default order
    applies when none is given. The primary key is always appended as the last tie-breaker, in the
    direction of the last key, so pages never repeat or skip a row. Keys that can meet NULLs sort
    them last ascending and first descending, on every database (PostgreSQL's own default).
    """

    many = True
    field_class = fields.multivalue_field_factory(fields.ChoiceField)

    def __init__(self, *, fields, default, **kwargs):
        self.order_fields = dict(fields)
        self.default = tuple(default)
        choices = [(key, key) for key in self.order_fields] + [
            (f'-{key}', f'-{key}') for key in self.order_fields
        ]
        kwargs.setdefault(
            'help_text',
            'Sort keys, repeatable for multi-sort; prefix with - to reverse. Default: '
            + ', '.join(self.default),
        )
        kwargs.setdefault('accepted', ', '.join(self.order_fields) + ' (prefix with - to reverse)')
        super().__init__(choices=choices, **kwargs)

    def filter(self, qs, value):
        keys = list(dict.fromkeys(value or self.default))
        order_by = []
        sorts_by_pk = False
        for key in keys:
            descending = key.startswith('-')
            for target in self.order_fields[key.lstrip('-')]:
                if isinstance(target, str):
                    sorts_by_pk = sorts_by_pk or target in ('id', 'pk')
                    nullable = _is_nullable(qs.model, target)
                    expression = F(target)
                else:
                    nullable = True
                    expression = target
                if descending:
                    order_by.append(expression.desc(nulls_first=True) if nullable else expression.desc())
                else:
                    order_by.append(expression.asc(nulls_last=True) if nullable else expression.asc())
        if not sorts_by_pk:
            order_by.append(F('pk').desc() if keys[-1].startswith('-') else F('pk').asc())
        return qs.order_by(*order_by)


class ScaleFilterForm(forms.Form):
    """Checks that each pair of time bounds in `time_ranges` is ordered (start before end), and gives
    every time field one `now`, so `started=P1D&ended=P1D` is an empty range, not two instants."""

    time_ranges = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        for field in self.fields.values():
            if isinstance(field, fields.TimeField):
                field.now = now

    def clean(self):
        cleaned = super().clean()
        for start_name, end_name in self.time_ranges:
            start, end = cleaned.get(start_name), cleaned.get(end_name)
            if start is not None and end is not None and start >= end:
                self.add_error(
                    start_name,
                    f'{format_datetime(start)} must be before {end_name} ({format_datetime(end)})',
                )
        return cleaned


class ScaleFilterSet(django_filters.FilterSet):
    """Base of every FilterSet: its form checks the time ranges.

    Subclasses declare every parameter explicitly (Meta.fields stays empty) and list their pairs of
    time bounds in `time_ranges`.
    """

    time_ranges = ()

    class Meta:
        form = ScaleFilterForm
        fields = []

    def get_form_class(self):
        # Built once per FilterSet class, not per request: the fields are the filters' (configuration
        # only), and every form instance copies them anyway.
        form_class = type(self).__dict__.get('_form_class')
        if form_class is None:
            form_class = super().get_form_class()
            form_class.time_ranges = self.time_ranges
            type(self)._form_class = form_class
        return form_class


class PagedFilterSet(ScaleFilterSet):
    """Base of every list FilterSet: adds page and page_size."""

    page = PageFilter(help_text='Page number from 1, or "last". Past the last page: 404 "Invalid page."')
    page_size = PageSizeFilter(
        help_text=f'Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); empty or "null" '
        'means the default.'
    )


def apply_filterset(filterset_class, request, queryset):
    """Validates the request's query parameters with `filterset_class` and applies them.

    Returns (filtered queryset, cleaned parameter values); raises ParameterError (400) when invalid.
    """
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ParameterError(filterset.errors)
    return filterset.qs, filterset.form.cleaned_data


class ScaleFilterBackend(DjangoFilterBackend):
    """Applies the view's FilterSet; an invalid parameter is a 400 naming it, and nothing runs."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        return apply_filterset(filterset_class, request, queryset)[0]

    def get_schema_operation_parameters(self, view):
        # scale.api.schema.ScaleFilterExtension documents the FilterSets for drf-spectacular.
        return []
