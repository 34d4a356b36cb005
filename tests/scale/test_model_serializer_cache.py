"""scale.api.serializers.ModelSerializer builds a class's fields once and gives each instance copies."""

import pytest

from job.serializers.base import JobTypeBaseSerializer
from job.serializers.jobs import JobDetailSerializer
from tests import factories

pytestmark = pytest.mark.django_db


def test_each_instance_gets_its_own_bound_fields_with_the_same_output():
    first, second = factories.job_type(name='first'), factories.job_type(name='second')
    one, two = JobTypeBaseSerializer(first), JobTypeBaseSerializer(second)

    assert one.fields['name'] is not two.fields['name']
    assert one.fields['name'].parent is one and two.fields['name'].parent is two
    assert (one.data['name'], two.data['name']) == ('first', 'second')
    assert JobTypeBaseSerializer(first).data == one.data


def test_nested_serializers_render_each_object_on_its_own():
    jobs = [factories.job(factories.job_type(name=f'type-{n}')) for n in range(3)]
    rendered = [JobDetailSerializer(job).data for job in jobs]
    assert [item['job_type']['name'] for item in rendered] == ['type-0', 'type-1', 'type-2']
    assert [item['id'] for item in rendered] == [job.id for job in jobs]
