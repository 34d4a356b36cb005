"""PATCH /v6/job-types/{name}/{version}/ (issue 3): explicit false/null values, the deprecated and
paused stamps, new revisions, manifests that keep their name and version, system job types, and
concurrent edits that never lose a revision."""

import json

import pytest

from job.models import Error, JobType, JobTypeRevision, SecretSetting
from job.services.job_types import create_job_type, edit_job_type
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

DETAIL = '/v6/job-types/editable/1.0.0/'


def patch(client, body, path=DETAIL):
    return client.patch(path, json.dumps(body), content_type='application/json')


@pytest.fixture
def job_type(staff_client):
    body = factories.job_type_request(
        'editable',
        icon_code='f00d',
        is_published=True,
        max_scheduled=3,
        settings=[('HOST', False), ('KEY', True)],
    )
    body['configuration'] = {'settings': {'HOST': 'h', 'KEY': 'first-secret'}, 'priority': 20}
    assert (
        staff_client.post('/v6/job-types/', json.dumps(body), content_type='application/json').status_code
        == 201
    )
    return JobType.objects.get(name='editable')


def refreshed(job_type):
    job_type.refresh_from_db()
    return job_type


@pytest.mark.django_db
def test_explicit_false_and_null_apply(staff_client, job_type):
    response = patch(staff_client, {'is_published': False, 'max_scheduled': None, 'icon_code': None})

    assert response.status_code == 200
    assert response.json() == {'is_valid': True, 'errors': [], 'warnings': []}
    job_type = refreshed(job_type)
    assert (job_type.is_published, job_type.max_scheduled, job_type.icon_code) == (False, None, None)
    assert job_type.revision_num == 1  # no manifest, same image: no new revision


@pytest.mark.django_db
def test_deactivating_stamps_deprecated_and_activating_clears_it(staff_client, job_type):
    patch(staff_client, {'is_active': False})
    deprecated = refreshed(job_type).deprecated
    assert deprecated is not None and job_type.is_active is False

    patch(staff_client, {'is_active': False})  # already inactive: the stamp stays
    assert refreshed(job_type).deprecated == deprecated

    patch(staff_client, {'is_active': True})
    assert (refreshed(job_type).is_active, job_type.deprecated) == (True, None)


@pytest.mark.django_db
def test_pausing_stamps_paused_and_resuming_clears_it(staff_client, job_type):
    patch(staff_client, {'is_paused': True})
    assert refreshed(job_type).is_paused and job_type.paused is not None

    detail = staff_client.get(DETAIL).json()
    assert detail['is_paused'] is True and detail['paused'] is not None

    patch(staff_client, {'is_paused': False})
    assert (refreshed(job_type).is_paused, job_type.paused) == (False, None)


@pytest.mark.django_db
def test_a_new_manifest_makes_a_new_revision(staff_client, job_type):
    factories.set_fields(job_type, unmet_resources='gpus')
    manifest = factories.job_type_request('editable', settings=[('HOST', False), ('KEY', True)])['manifest']
    manifest['job']['title'] = 'Edited'
    manifest['job']['packageVersion'] = '1.0.1'
    manifest['job']['errors'] = [{'code': 3, 'name': 'new-error', 'category': 'data'}]
    manifest['job']['resources']['scalar'].append({'name': 'fpga', 'value': 2})

    response = patch(staff_client, {'manifest': manifest})

    assert response.status_code == 200
    assert [warning['name'] for warning in response.json()['warnings']] == ['NONSTANDARD_RESOURCE']
    job_type = refreshed(job_type)
    assert (job_type.revision_num, job_type.title, job_type.unmet_resources) == (2, 'Edited', None)
    assert job_type.manifest['job']['packageVersion'] == '1.0.1'
    revision = JobTypeRevision.objects.get(job_type=job_type, revision_num=2)
    assert revision.manifest == job_type.manifest and revision.docker_image == 'editable:1.0.0'
    assert Error.objects.get(job_type_name='editable', name='new-error').category == 'DATA'
    assert staff_client.get(f'{DETAIL}revisions/').json()['results'][0]['revision_num'] == 2


@pytest.mark.django_db
def test_the_same_manifest_again_makes_no_revision(staff_client, job_type):
    # Re-posting or re-patching an unchanged manifest (e.g. a deploy script run twice) is a no-op.
    manifest = refreshed(job_type).manifest

    assert patch(staff_client, {'manifest': manifest}).status_code == 200
    response = staff_client.post(
        '/v6/job-types/',
        {'docker_image': 'editable:1.0.0', 'manifest': manifest},
        format='json',
    )

    assert response.status_code == 200
    assert refreshed(job_type).revision_num == 1
    assert job_type.revisions.count() == 1


@pytest.mark.django_db
def test_a_new_image_makes_a_new_revision(staff_client, job_type):
    patch(staff_client, {'docker_image': 'editable:1.0.0'})  # the same image
    assert refreshed(job_type).revision_num == 1

    patch(staff_client, {'docker_image': 'registry/editable:1.0.0-patched'})

    job_type = refreshed(job_type)
    assert job_type.revision_num == 2
    revision = job_type.revisions.get(revision_num=2)
    assert revision.docker_image == 'registry/editable:1.0.0-patched'
    assert revision.manifest == job_type.manifest


@pytest.mark.django_db
def test_a_new_configuration_is_validated_and_its_secrets_kept_apart(staff_client, job_type):
    response = patch(
        staff_client, {'configuration': {'settings': {'HOST': 'h2', 'KEY': 'second-secret'}, 'priority': 5}}
    )

    assert response.status_code == 200 and response.json()['warnings'] == []
    job_type = refreshed(job_type)
    assert job_type.configuration['settings'] == {'HOST': 'h2'} and job_type.configuration['priority'] == 5
    assert list(SecretSetting.objects.values_list('name', 'value')) == [('KEY', 'second-secret')]
    assert b'second-secret' not in staff_client.get(DETAIL).content


@pytest.mark.django_db
def test_a_configuration_without_the_secret_keeps_the_stored_one(staff_client, job_type):
    response = patch(staff_client, {'configuration': {'settings': {'HOST': 'h3'}}})

    assert response.json()['warnings'] == []  # KEY has a stored value: not missing
    assert list(SecretSetting.objects.values_list('name', 'value')) == [('KEY', 'first-secret')]


@pytest.mark.django_db
def test_a_null_configuration_resets_it(staff_client, job_type):
    response = patch(staff_client, {'configuration': None})

    assert [warning['name'] for warning in response.json()['warnings']] == ['MISSING_SETTING']
    assert refreshed(job_type).configuration['priority'] == 100


@pytest.mark.django_db
def test_a_setting_no_longer_secret_loses_its_stored_value(staff_client, job_type):
    manifest = factories.job_type_request('editable', settings=[('HOST', False), ('KEY', False)])['manifest']

    response = patch(staff_client, {'manifest': manifest})

    assert response.status_code == 200
    assert not SecretSetting.objects.exists()
    assert [warning['name'] for warning in response.json()['warnings']] == ['MISSING_SETTING']


@pytest.mark.django_db
def test_a_new_manifest_revalidates_the_stored_configuration(staff_client, job_type):
    manifest = factories.job_type_request('editable', outputs=['OUT'])['manifest']

    response = patch(staff_client, {'manifest': manifest})

    assert response.status_code == 400
    assert list(response.json()['errors']) == ['configuration.output_workspaces.outputs.OUT']
    assert refreshed(job_type).revision_num == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ('body', 'path'),
    [
        ({'manifest': factories.job_type_request('renamed')['manifest']}, 'manifest.job.name'),
        (
            {'manifest': factories.job_type_request('editable', '2.0.0')['manifest']},
            'manifest.job.jobVersion',
        ),
        ({'manifest': {'seedVersion': '1.0.0'}}, 'manifest.job'),
        ({'manifest': []}, 'manifest'),
        ({'configuration': {'priority': 0}}, 'configuration.priority'),
        (
            {'configuration': {'output_workspaces': {'default': 'nowhere'}}},
            'configuration.output_workspaces.default',
        ),
        ({'configuration': 'x'}, 'configuration'),
        ({'is_active': None}, 'is_active'),
        ({'is_paused': 'true'}, 'is_paused'),
        ({'is_published': 0}, 'is_published'),
        ({'max_scheduled': 0}, 'max_scheduled'),
        ({'max_scheduled': 2**31}, 'max_scheduled'),
        ({'icon_code': 'x' * 21}, 'icon_code'),
        ({'docker_image': ''}, 'docker_image'),
        ({'docker_image': None}, 'docker_image'),
        ({'name': 'other'}, 'name'),
        ({'revision_num': 5}, 'revision_num'),
    ],
)
def test_bad_edits_are_400_and_change_nothing(staff_client, job_type, body, path):
    before = JobType.objects.filter(pk=job_type.pk).values().get()

    response = patch(staff_client, body)

    assert response.status_code == 400, response.content
    assert path in response.json()['errors']
    assert JobType.objects.filter(pk=job_type.pk).values().get() == before
    assert JobTypeRevision.objects.count() == 1


@pytest.mark.django_db
def test_patch_of_an_unknown_job_type_is_404(staff_client):
    assert patch(staff_client, {'is_paused': True}, '/v6/job-types/nobody/1.0.0/').status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize('body', ['[]', '"x"', 'null'])
def test_patch_bodies_must_be_objects(staff_client, job_type, body):
    response = staff_client.patch(DETAIL, body, content_type='application/json')

    assert response.status_code == 400


@pytest.mark.django_db
def test_system_job_types_accept_only_is_paused(staff_client):
    factories.job_type('scale-clock', is_system=True)
    path = '/v6/job-types/scale-clock/1.0.0/'

    assert patch(staff_client, {'is_paused': True}, path).status_code == 200
    assert JobType.objects.get(name='scale-clock').is_paused
    for body in (
        {'is_active': False},
        {'icon_code': None},
        {'max_scheduled': 2},
        {'is_paused': False, 'docker_image': 'x'},
    ):
        response = patch(staff_client, body, path)
        assert response.status_code == 400, body
        assert 'only is_paused' in json.dumps(response.json()['errors'])
    job_type = JobType.objects.get(name='scale-clock')
    assert (job_type.is_active, job_type.is_paused, job_type.revision_num) == (True, True, 1)


@pytest.mark.django_db
def test_edit_service_contract(job_type):
    result = edit_job_type(job_type, {'is_paused': True, 'auto_update': False})

    assert result == {'is_valid': True, 'errors': [], 'warnings': []}
    assert refreshed(job_type).is_paused


@pytest.mark.django_db(transaction=True)
def test_concurrent_manifest_edits_lose_no_revision():
    needs_concurrent_writers()
    body = factories.job_type_request('raced')
    job_type = create_job_type(**body).job_type

    def work(index):
        manifest = factories.job_type_request('raced')['manifest']
        manifest['job']['packageVersion'] = f'1.0.{index + 1}'
        return edit_job_type(job_type, {'manifest': manifest})

    results = run_together(6, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    job_type = refreshed(job_type)
    assert job_type.revision_num == 7
    assert sorted(job_type.revisions.values_list('revision_num', flat=True)) == list(range(1, 8))


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_version_make_one_job_type():
    needs_concurrent_writers()

    results = run_together(5, lambda index: create_job_type(**factories.job_type_request('twin')).created)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted(results) == [False] * 4 + [True]
    job_type = JobType.objects.get(name='twin')
    # The four losers re-posted the same manifest and image: an edit that changes nothing.
    assert job_type.revision_num == 1
    assert job_type.revisions.count() == 1
