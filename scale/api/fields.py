"""Form fields that parse and validate query parameters. Each error message names the value and
what is accepted; the filter backend prefixes it with the parameter's name."""

import re

from django import forms
from django.core.exceptions import ValidationError

from scale.api.iso8601 import EXAMPLES, parse_time_value

MAX_BIGINT = 2**63 - 1
NULL_STRINGS = frozenset({'', 'null'})
_INTEGER = re.compile(r'^-?[0-9]+$')


def multivalue_field_factory(field_class):
    """A form field that takes every value of a repeated query parameter (`?a=1&a=2`) and validates
    each with `field_class`. Empty values (`?a=`) are dropped."""

    class MultiValueField(field_class):
        widget = forms.SelectMultiple

        def to_python(self, value):
            if not value:
                return []
            if isinstance(value, str):
                value = [value]
            return [super(MultiValueField, self).to_python(item) for item in value if item not in ('', None)]

        def validate(self, value):
            if self.required and not value:
                raise ValidationError(self.error_messages['required'], code='required')
            for item in value:
                super().validate(item)

        def run_validators(self, value):
            for item in value:
                super().run_validators(item)

    MultiValueField.__name__ = f'MultiValue{field_class.__name__}'
    return MultiValueField


class IdField(forms.Field):
    """A database id: an integer 0..2^63-1."""

    def to_python(self, value):
        if value in (None, ''):
            return None
        text = str(value).strip()
        if not _INTEGER.match(text):
            raise ValidationError(f'"{value}" is not an integer', code='invalid')
        number = int(text)
        if not 0 <= number <= MAX_BIGINT:
            raise ValidationError(f'{number} is out of range (0..{MAX_BIGINT})', code='invalid')
        return number


class ChoiceField(forms.Field):
    """One of a fixed set of values, matched case-insensitively and returned in its canonical form."""

    def __init__(self, *, choices, accepted=None, **kwargs):
        self.choices = [value for value, _label in choices]
        self._canonical = {str(value).lower(): value for value in self.choices}
        self.accepted = accepted or ', '.join(map(str, self.choices))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ''):
            return None
        try:
            return self._canonical[str(value).strip().lower()]
        except KeyError:
            raise ValidationError(
                f'"{value}" is not one of: {self.accepted}', code='invalid_choice'
            ) from None


class TimeField(forms.Field):
    """An ISO-8601 datetime with any offset, or a duration (P...) meaning now minus it.

    `now` is set by the form (ScaleFilterForm) so that every duration of one request is measured
    from the same instant.
    """

    now = None

    def to_python(self, value):
        if value in (None, ''):
            return None
        try:
            return parse_time_value(value, now=self.now)
        except ValueError:
            raise ValidationError(
                f'"{value}" is not an ISO-8601 datetime or duration; use {EXAMPLES}'
            ) from None


class BooleanField(forms.Field):
    """true/false, t/f, 1/0, yes/no, case-insensitive; empty means absent."""

    TRUE = frozenset({'true', 't', '1', 'yes'})
    FALSE = frozenset({'false', 'f', '0', 'no'})

    def to_python(self, value):
        if value in (None, ''):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(f'"{value}" is not a boolean; use true or false', code='invalid')


class PageField(forms.Field):
    """A page number >= 1 or "last"; empty or the literal null means the first page."""

    def to_python(self, value):
        if value is None or str(value).strip().lower() in NULL_STRINGS:
            return None
        text = str(value).strip().lower()
        if text == 'last':
            return text
        if not _INTEGER.match(text) or int(text) < 1:
            raise ValidationError(
                f'"{value}" is not a page number; use an integer >= 1 or "last"', code='invalid'
            )
        return int(text)


class PageSizeField(forms.Field):
    """An integer from 1 to max_page_size; empty or the literal null means the default."""

    def __init__(self, *, max_page_size=1000, **kwargs):
        self.max_page_size = max_page_size
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is None or str(value).strip().lower() in NULL_STRINGS:
            return None
        text = str(value).strip()
        if not _INTEGER.match(text) or not 1 <= int(text) <= self.max_page_size:
            raise ValidationError(
                f'"{value}" is not a page size; use an integer from 1 to {self.max_page_size}', code='invalid'
            )
        return int(text)


class BoundedIntegerField(forms.Field):
    """An integer from `minimum` to `maximum`."""

    def __init__(self, *, minimum, maximum, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ''):
            return None
        text = str(value).strip()
        if not _INTEGER.match(text) or not self.minimum <= int(text) <= self.maximum:
            raise ValidationError(
                f'"{value}" is not an integer from {self.minimum} to {self.maximum}', code='invalid'
            )
        return int(text)
