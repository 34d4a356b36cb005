"""Who may read and write (DESIGN.md section 4, security rules): reads need a user (token or
session) unless SCALE_PUBLIC_READ_API; an anonymous refusal is 401 with WWW-Authenticate: Token;
writes need a staff user. And `manage.py issue_token`."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from job.choices import ExecutionStatus, JobStatus
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def urls():
    """Every GET endpoint, with data behind it so that an authorised request answers 200."""
    job = factories.job(status=JobStatus.COMPLETED, input_files=[('INPUT_FILE', factories.scale_file())])
    execution = factories.execution(job, status=ExecutionStatus.COMPLETED)
    factories.log_lines(execution, [('stdout', 'hello')])
    return [
        '/v6/jobs/',
        f'/v6/jobs/{job.id}/',
        f'/v6/jobs/{job.id}/input_files/',
        f'/v6/jobs/{job.id}/executions/',
        f'/v6/jobs/{job.id}/executions/1/',
        '/v6/job-executions/',
        f'/v6/job-executions/{execution.id}/',
        f'/v6/job-executions/{execution.id}/logs/combined/',
        f'/v6/job-executions/{execution.id}/logs/stdout/?format=txt',
    ]


# Endpoints that are GET-only by contract (jobs list and detail may gain writes: POST, PATCH).
READ_ONLY = [
    '/v6/jobs/{job}/executions/',
    '/v6/jobs/{job}/executions/1/',
    '/v6/jobs/{job}/input_files/',
    '/v6/job-executions/',
    '/v6/job-executions/{exe}/',
    '/v6/job-executions/{exe}/logs/combined/',
]


def read(client, url):
    response = client.get(url)
    if response.streaming:
        b''.join(response.streaming_content)
    return response


def test_anonymous_reads_are_401_with_www_authenticate(anon_client, urls):
    for url in urls:
        response = read(anon_client, url)
        assert response.status_code == 401, url
        assert response['WWW-Authenticate'] == 'Token', url


def test_anonymous_401_body(anon_client, urls):
    response = anon_client.get('/v6/jobs/')

    assert response.json() == {'detail': 'Authentication credentials were not provided.'}


def test_token_reads_are_200(client, urls):
    for url in urls:
        assert read(client, url).status_code == 200, url


def test_bad_token_is_401(urls):
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION='Token 0000000000000000000000000000000000000000')

    response = bad.get('/v6/jobs/')

    assert response.status_code == 401
    assert response['WWW-Authenticate'] == 'Token'
    assert response.json() == {'detail': 'Invalid token.'}


def test_inactive_users_token_is_401(user, client):
    factories.set_fields(user, is_active=False)

    assert client.get('/v6/jobs/').status_code == 401


def test_session_reads_are_200(user, urls):
    session = APIClient()
    session.force_login(user)

    for url in urls:
        assert read(session, url).status_code == 200, url


def test_password_login_session_reads_are_200(user, urls):
    session = APIClient()
    assert session.login(username='reader', password='reader-password-1')

    assert session.get('/v6/jobs/').status_code == 200
    session.logout()
    assert session.get('/v6/jobs/').status_code == 401


def test_public_read_lets_anonymous_read(anon_client, public_read, urls):
    for url in urls:
        assert read(anon_client, url).status_code == 200, url


def test_public_read_does_not_let_anonymous_write(anon_client, public_read, urls):
    job = factories.job()

    response = anon_client.post(f'/v6/jobs/{job.id}/executions/', {}, format='json')

    assert response.status_code == 401


@pytest.mark.parametrize('method', ['post', 'put', 'patch', 'delete'])
@pytest.mark.parametrize('template', READ_ONLY)
def test_writes_on_read_only_endpoints(client, staff_client, anon_client, method, template):
    """A non-staff user is refused before the method is looked at: 403. A staff user gets 405, as
    the endpoint has no such method. Anonymous: 401."""
    job = factories.job(status=JobStatus.RUNNING)
    execution = factories.execution(job)
    path = template.format(job=job.id, exe=execution.id)

    non_staff = getattr(client, method)(path, {}, format='json')
    staff = getattr(staff_client, method)(path, {}, format='json')
    anonymous = getattr(anon_client, method)(path, {}, format='json')

    assert non_staff.status_code == 403
    assert non_staff.json() == {'detail': 'You do not have permission to perform this action.'}
    assert staff.status_code == 405
    assert anonymous.status_code == 401


# --- manage.py issue_token -----------------------------------------------------------------------


def issue_token(*args):
    out = io.StringIO()
    call_command('issue_token', *args, stdout=out)
    return out.getvalue().strip()


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Token {key}')
    return client


def test_issue_token_creates_the_user_and_prints_a_working_token():
    key = issue_token('alice')

    user = User.objects.get(username='alice')
    assert not user.is_staff
    assert not user.has_usable_password()
    assert Token.objects.get(user=user).key == key
    assert len(key) == 40
    assert token_client(key).get('/v6/jobs/').status_code == 200


def test_issue_token_is_idempotent():
    first = issue_token('bob')
    second = issue_token('bob')

    assert first == second
    assert User.objects.filter(username='bob').count() == 1
    assert Token.objects.filter(user__username='bob').count() == 1


def test_issue_token_for_an_existing_user_keeps_their_password(user):
    key = issue_token('reader')

    user.refresh_from_db()
    assert user.check_password('reader-password-1')
    assert token_client(key).get('/v6/jobs/').status_code == 200


def test_issue_token_staff():
    issue_token('carol')
    assert not User.objects.get(username='carol').is_staff

    key = issue_token('carol', '--staff')

    assert User.objects.get(username='carol').is_staff
    job = factories.job(status=JobStatus.RUNNING)
    # A staff token is past the permission check: the read-only endpoint answers 405, not 403.
    assert token_client(key).post(f'/v6/jobs/{job.id}/executions/', {}, format='json').status_code == 405
    # --staff again does not demote nor change the token.
    assert issue_token('carol', '--staff') == key


def test_issue_token_rotate():
    old = issue_token('dave')

    new = issue_token('dave', '--rotate')

    assert new != old
    assert token_client(old).get('/v6/jobs/').status_code == 401
    assert token_client(new).get('/v6/jobs/').status_code == 200
    assert issue_token('dave') == new


def test_issue_token_rotate_creates_a_user_too():
    key = issue_token('erin', '--rotate', '--staff')

    assert User.objects.get(username='erin').is_staff
    assert token_client(key).get('/v6/jobs/').status_code == 200


@pytest.mark.parametrize('username', ['', '   ', 'x' * 151])
def test_issue_token_refuses_bad_usernames(username):
    with pytest.raises(CommandError):
        issue_token(username)
    assert not User.objects.filter(username=username).exists()
