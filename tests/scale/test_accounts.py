"""GET /v6/accounts/profile/ and browser sign-in with CSRF (scale-ui-client.md 1.7, checklist 26): the
Scale web UI with its authentication on asks for the profile, sends the browser to the sign-in page
with `?next=<its URL>` when refused, and copies the `csrftoken` cookie into `X-CSRFToken` on writes."""

import html
import re

import pytest
from django.test import Client

from job.choices import JobStatus
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE = '/v6/accounts/profile/'
SIGN_IN = '/accounts/login/'
PROFILE_KEYS = {'id', 'username', 'first_name', 'last_name', 'email', 'is_staff'}


def csrf_client():
    """A browser: no token, cookies kept, and CSRF checked as in production."""
    return Client(enforce_csrf_checks=True)


def hidden(page, name):
    """The value of a form field, as the browser reads it (HTML entities decoded)."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match and html.unescape(match.group(1))


def sign_in(browser, username, password, next_url=None):
    """What a person does: open the sign-in page (as the UI's redirect does), submit the form."""
    page = browser.get(SIGN_IN if next_url is None else f'{SIGN_IN}?next={next_url}')
    assert page.status_code == 200
    text = page.content.decode()
    form = {
        'csrfmiddlewaretoken': hidden(text, 'csrfmiddlewaretoken'),
        'username': username,
        'password': password,
        'next': hidden(text, 'next'),
    }
    return browser.post(SIGN_IN, form)


def csrf_header(browser):
    return {'HTTP_X_CSRFTOKEN': browser.cookies['csrftoken'].value}


# --- the profile ----------------------------------------------------------------------------------


def test_profile_of_a_token_user(client, user):
    factories.set_fields(user, first_name='Rita', last_name='Reader', email='rita@example.org')

    response = client.get(PROFILE)

    assert response.status_code == 200
    assert response.json() == {
        'id': user.id,
        'username': 'reader',
        'first_name': 'Rita',
        'last_name': 'Reader',
        'email': 'rita@example.org',
        'is_staff': False,
    }


def test_profile_of_a_staff_session_without_the_slash(staff_user):
    browser = csrf_client()
    browser.force_login(staff_user)

    response = browser.get(PROFILE.rstrip('/'))

    assert response.status_code == 200
    assert set(response.json()) == PROFILE_KEYS
    assert response.json()['is_staff'] is True
    # The profile hands the browser the cookie its writes will echo.
    assert response.cookies['csrftoken'].value


@pytest.mark.parametrize('public', [False, True])
def test_anonymous_profile_is_a_json_401_even_when_reads_are_public(anon_client, settings, public):
    settings.SCALE_PUBLIC_READ_API = public

    response = anon_client.get(PROFILE)

    assert response.status_code == 401
    assert response.json() == {'detail': 'Authentication credentials were not provided.'}


def test_profile_is_read_only(staff_client):
    assert staff_client.patch(PROFILE, {'is_staff': False}, format='json').status_code == 405
    assert staff_client.post(PROFILE, {}, format='json').status_code == 405


def test_profile_is_documented(anon_client):
    schema = anon_client.get('/v6/schema/', {'format': 'json'}).json()

    assert '/v6/accounts/profile/' in schema['paths']


# --- signing in -----------------------------------------------------------------------------------


def test_the_sign_in_page_sets_the_csrf_cookie():
    response = csrf_client().get(SIGN_IN)

    assert response.status_code == 200
    assert response['Content-Type'].startswith('text/html')
    assert response.cookies['csrftoken'].value
    assert 'name="password"' in response.content.decode()


def test_sign_in_returns_to_the_ui_page_with_its_whole_query(staff_user):
    # The UI appends window.location.href unencoded.
    page = 'http://testserver/processing/jobs?status=FAILED&status=CANCELED&page=2'
    browser = csrf_client()

    response = sign_in(browser, 'operator', 'operator-password-1', next_url=page)

    assert response.status_code == 302
    assert response['Location'] == page
    profile = browser.get(PROFILE)
    assert (profile.status_code, profile.json()['username']) == (200, 'operator')
    # Signing in rotates the CSRF token: the cookie the UI copies is the new one.
    assert browser.cookies['csrftoken'].value


def test_an_encoded_next_is_decoded_once(staff_user):
    response = sign_in(
        csrf_client(), 'operator', 'operator-password-1', next_url='%2Fsystem%2Fnodes%3Fa%3D1%26b%3D2'
    )

    assert response['Location'] == '/system/nodes?a=1&b=2'


@pytest.mark.parametrize(
    'next_url', ['http://evil.example/processing/jobs', '//evil.example/x', 'javascript:alert(1)']
)
def test_a_next_off_this_host_is_ignored(staff_user, settings, next_url):
    response = sign_in(csrf_client(), 'operator', 'operator-password-1', next_url=next_url)

    assert response.status_code == 302
    assert response['Location'] == settings.LOGIN_REDIRECT_URL


def test_without_next_sign_in_shows_the_profile(staff_user):
    browser = csrf_client()

    response = sign_in(browser, 'operator', 'operator-password-1')

    assert response['Location'] == '/v6/accounts/profile/'
    assert browser.get(response['Location']).json()['username'] == 'operator'


def test_a_wrong_password_signs_nobody_in(staff_user):
    browser = csrf_client()

    response = sign_in(browser, 'operator', 'wrong', next_url='/processing/jobs')

    assert response.status_code == 200
    assert 'did not match' in response.content.decode()
    assert hidden(response.content.decode(), 'next') == '/processing/jobs'
    assert browser.get(PROFILE).status_code == 401


def test_the_sign_in_form_needs_its_csrf_token(staff_user):
    browser = csrf_client()
    browser.get(SIGN_IN)

    response = browser.post(SIGN_IN, {'username': 'operator', 'password': 'operator-password-1'})

    assert response.status_code == 403
    assert browser.get(PROFILE).status_code == 401


def test_sign_out(staff_user):
    browser = csrf_client()
    sign_in(browser, 'operator', 'operator-password-1')
    assert browser.get(PROFILE).status_code == 200

    refused = browser.post('/accounts/logout/')
    response = browser.post('/accounts/logout/', **csrf_header(browser))

    assert refused.status_code == 403
    assert response.status_code == 302
    assert response['Location'] == SIGN_IN
    assert browser.get(PROFILE).status_code == 401


def test_drf_sign_in_still_works(user):
    response = csrf_client().get('/api-auth/login/')

    assert response.status_code == 200


# --- writes from a signed-in browser --------------------------------------------------------------


@pytest.fixture
def staff_browser(staff_user):
    browser = csrf_client()
    response = sign_in(browser, 'operator', 'operator-password-1')
    assert response.status_code == 302
    return browser


def test_a_session_patch_with_the_csrf_header_succeeds_and_without_is_a_json_403(staff_browser):
    node = factories.node('n.example')
    path = f'/v6/nodes/{node.id}/'
    body = {'is_paused': True, 'pause_reason': 'from the UI', 'is_active': True}

    refused = staff_browser.patch(path, body, content_type='application/json')
    wrong = staff_browser.patch(path, body, content_type='application/json', HTTP_X_CSRFTOKEN='x' * 32)
    accepted = staff_browser.patch(path, body, content_type='application/json', **csrf_header(staff_browser))

    assert refused.status_code == 403
    assert refused.json()['detail'].startswith('CSRF Failed')
    assert wrong.status_code == 403
    assert accepted.status_code == 200
    assert (accepted.json()['is_paused'], accepted.json()['pause_reason']) == (True, 'from the UI')
    node.refresh_from_db()
    assert node.is_paused


def test_a_session_bulk_cancel_with_the_csrf_header_is_accepted(staff_browser):
    job = factories.job(status=JobStatus.QUEUED)
    body = {'job_ids': [job.id], 'url': '/v6/jobs/cancel/'}

    refused = staff_browser.post('/v6/jobs/cancel/', body, content_type='application/json')
    accepted = staff_browser.post(
        '/v6/jobs/cancel/', body, content_type='application/json', **csrf_header(staff_browser)
    )

    assert refused.status_code == 403
    assert refused.json()['detail'].startswith('CSRF Failed')
    assert accepted.status_code == 202


def test_a_non_staff_session_with_the_header_is_refused_by_permission(user):
    browser = csrf_client()
    sign_in(browser, 'reader', 'reader-password-1')
    node = factories.node('r.example')

    response = browser.patch(
        f'/v6/nodes/{node.id}/', {'is_paused': True}, content_type='application/json', **csrf_header(browser)
    )

    assert response.status_code == 403
    assert response.json() == {'detail': 'You do not have permission to perform this action.'}


def test_session_reads_need_no_csrf_header(staff_browser):
    assert staff_browser.get('/v6/nodes/?page=1&page_size=1000&is_active=true').status_code == 200


def test_token_writes_need_no_csrf(staff_client):
    node = factories.node('t.example')

    response = staff_client.patch(f'/v6/nodes/{node.id}/', {'is_paused': True}, format='json')

    assert response.status_code == 200
