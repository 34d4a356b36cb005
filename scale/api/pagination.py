from django.core.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from scale.api.exceptions import ParameterError
from scale.api.fields import PageField, PageSizeField
from scale.api.filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _clean(field, name, value):
    try:
        return field.clean(value)
    except ValidationError as exc:
        raise ParameterError({name: exc.messages}) from None


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
