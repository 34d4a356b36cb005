"""OpenAPI 3 generation: every declared filter becomes a documented query parameter (type,
choices, repeatability), and every operation documents its error responses."""

from drf_spectacular.extensions import OpenApiFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_parameter_type
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ParameterErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text='Names every invalid parameter and what it accepts.')
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Parameter name -> messages.',
    )


def _filter_specs(filterset_class):
    """(name, item-or-array schema, description, repeatable) of every filter of `filterset_class`."""
    for name, filter_ in filterset_class.base_filters.items():
        schema = filter_.openapi_schema()
        description = filter_.extra.get('help_text') or schema.pop('description', '') or ''
        if filter_.many:
            schema = build_array_type(schema)
            description = f'{description} Repeat the parameter for several values.'.strip()
        yield name, schema, description, filter_.many


def filterset_parameters(filterset_class):
    """OpenAPI query parameters of every filter of `filterset_class`: type, choices, repeatability."""
    return [
        build_parameter_type(
            name=name,
            schema=schema,
            location=OpenApiParameter.QUERY,
            required=False,
            description=description,
            explode=True if many else None,
            style='form' if many else None,
        )
        for name, schema, description, many in _filter_specs(filterset_class)
    ]


def filterset_openapi_parameters(filterset_class):
    """The same, as OpenApiParameter objects for @extend_schema on views without a filter backend."""
    return [
        OpenApiParameter(
            name, type=schema, location=OpenApiParameter.QUERY, description=description, explode=many or None
        )
        for name, schema, description, many in _filter_specs(filterset_class)
    ]


class ScaleFilterExtension(OpenApiFilterExtension):
    """Documents the FilterSets of scale.api.filters.ScaleFilterBackend from the filters themselves."""

    target_class = 'scale.api.filters.ScaleFilterBackend'
    match_subclasses = True
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        filterset_class = getattr(auto_schema.view, 'filterset_class', None)
        if filterset_class is None:
            return []
        return filterset_parameters(filterset_class)


class ScaleAutoSchema(AutoSchema):
    """Adds the error responses every operation can give."""

    def _get_response_bodies(self, direction='response'):
        responses = super()._get_response_bodies(direction)
        errors = {'401': ErrorSerializer, '403': ErrorSerializer, '404': ErrorSerializer}
        if self.method == 'GET' and self._is_list_view():
            errors['400'] = ParameterErrorSerializer
        elif self.method in ('POST', 'PUT', 'PATCH'):
            errors['400'] = ErrorSerializer
        for code, serializer in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code, direction=direction)
        return responses
