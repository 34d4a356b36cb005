import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

BUILTIN_ERRORS = 'fixtures/builtin_errors.json'


@pytest.fixture(scope='session')
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the builtin errors, as a migrated install with fixtures does."""
    with django_db_blocker.unblock():
        call_command('loaddata', BUILTIN_ERRORS, verbosity=0)


@pytest.fixture(autouse=True)
def cheap_test_settings(settings):
    """Settings that change what a test costs, not what the API does: users' passwords hash with MD5
    (PBKDF2 costs 0.3 s a test), and WhiteNoise, which only serves /static/ and scans every static
    file each time a test client builds the middleware, is left out."""
    settings.PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if not name.startswith('whitenoise.')]


@pytest.fixture(autouse=True)
def builtin_errors_in_transactional_tests(request):
    """A transactional test (django_db(transaction=True)) empties every table when it ends; the next
    one finds the builtin errors loaded again, as every other test does."""
    marker = request.node.get_closest_marker('django_db')
    if marker is None or not marker.kwargs.get('transaction'):
        return
    request.getfixturevalue('transactional_db')
    from job.models import Error

    if not Error.objects.filter(is_builtin=True).exists():
        call_command('loaddata', BUILTIN_ERRORS, verbosity=0)


def _token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Token {Token.objects.get_or_create(user=user)[0].key}')
    return client


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user('reader', password='reader-password-1')


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user('operator', password='operator-password-1', is_staff=True)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def client(user):
    """An API client signed in with a (non-staff) user's token."""
    return _token_client(user)


@pytest.fixture
def staff_client(staff_user):
    return _token_client(staff_user)


@pytest.fixture
def public_read(settings):
    settings.SCALE_PUBLIC_READ_API = True
