"""scale/settings.py reads the environment: the proxy switch and the strict errors at import."""

import importlib
import types

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests import factories


def _reload_settings(monkeypatch, **environment):
    """The settings module's values as the environment gives them (a snapshot: the module is then
    reloaded from the unchanged environment)."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    module = importlib.import_module('scale.settings')
    try:
        return types.SimpleNamespace(**vars(importlib.reload(module)))
    finally:
        for name in environment:
            monkeypatch.delenv(name)
        importlib.reload(module)


def test_behind_proxy_trusts_forwarded_host_and_proto(monkeypatch):
    module = _reload_settings(monkeypatch, SCALE_BEHIND_PROXY='true')
    assert module.USE_X_FORWARDED_HOST is True
    assert module.SECURE_PROXY_SSL_HEADER == ('HTTP_X_FORWARDED_PROTO', 'https')


def test_not_behind_proxy_by_default(monkeypatch):
    monkeypatch.delenv('SCALE_BEHIND_PROXY', raising=False)
    module = importlib.reload(importlib.import_module('scale.settings'))
    assert module.USE_X_FORWARDED_HOST is False
    assert module.SECURE_PROXY_SSL_HEADER is None


@pytest.mark.parametrize(
    ('name', 'value'),
    [('DEBUG', 'maybe'), ('SCALE_PUBLIC_READ_API', 'yes please'), ('SCALE_LOG_LEVEL', 'LOUD')],
)
def test_a_bad_value_stops_the_settings_with_the_variable_named(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        _reload_settings(monkeypatch, **{name: value})


@pytest.mark.django_db
def test_page_links_name_the_public_host_behind_a_proxy(client, settings):
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
    settings.ALLOWED_HOSTS = ['scale.example.org', 'testserver']
    job_type = factories.job_type()
    for _ in range(3):
        factories.job(job_type)

    response = client.get(
        '/v6/jobs/?page_size=1', HTTP_X_FORWARDED_HOST='scale.example.org', HTTP_X_FORWARDED_PROTO='https'
    )

    assert response.json()['next'] == 'https://scale.example.org/v6/jobs/?page=2&page_size=1'
