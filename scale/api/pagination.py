from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

from scale.api.exceptions import ParameterError
from scale.api.fields import PageField, PageSizeField
from scale.api.filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _clean(field, name, value):
    try:
        return field.clean(value)
    except ValidationError as exc:
        raise ParameterError({name: exc.messages}) from None


class ScalePaginator(Paginator):
    """Django's Paginator, but a page in the back half of an ordered queryset is read from the other
    end: the same rows fetched in the reverse order with the smaller OFFSET, then turned around. An
    OFFSET costs a walk over every skipped row, so `page=last` of a million rows costs what page 1
    does, and no page costs more than the middle one."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list
        if isinstance(rows, QuerySet) and rows.query.order_by and bottom > self.count - top:
            # reverse() flips every term, ascending/descending and nulls first/last alike.
            backwards = list(rows.reverse()[self.count - top : self.count - bottom])
            return self._get_page(backwards[::-1], number, self)
        return self._get_page(rows[bottom:top], number, self)


class ScalePagination(PageNumberPagination):
    """The v6 envelope `{count, next, previous, results}`.

    `page` is a number from 1 or "last"; past the end is 404 `{"detail": "Invalid page."}`.
    `page_size` is 1..1000, default 100; empty or "null" means the default. Bad values are 400
    (the FilterSet declares and checks the same parameters first). next/previous are absolute URLs
    that keep every other parameter.
    """

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_query_param = 'page'
    page_size_query_param = 'page_size'
    last_page_strings = ('last',)

    def paginate_queryset(self, queryset, request, view=None, count=None):
        """DRF's, plus `count`: the number of rows when the caller knows it exactly without counting
        the queryset (job.services.counts)."""
        self.known_count = count
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        paginator = ScalePaginator(object_list, per_page)
        if getattr(self, 'known_count', None) is not None:
            paginator.count = self.known_count  # Paginator.count is a cached_property
        return paginator

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        size = _clean(PageSizeField(required=False, max_page_size=self.max_page_size), 'page_size', value)
        return size or self.page_size

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        number = _clean(PageField(required=False), 'page', value) or 1
        if number in self.last_page_strings:
            return paginator.num_pages
        return number

    def get_schema_operation_parameters(self, view):
        # page and page_size are declared filters of every list FilterSet, documented there.
        return []
