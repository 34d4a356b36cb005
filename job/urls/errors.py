"""Routes of the errors area (see job/urls/__init__.py)."""

from django.urls import re_path

from job.views import errors as views
from scale.api.urls import ID

# Every route answers with and without its trailing slash.
urlpatterns = [
    re_path(r'^errors/?$', views.ErrorList.as_view(), name='error-list'),
    re_path(rf'^errors/(?P<error_id>{ID})/?$', views.ErrorDetail.as_view(), name='error-detail'),
]
