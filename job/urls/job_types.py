"""Routes of the job_types area (see job/urls/__init__.py). Every route answers with and without its
trailing slash. Fixed paths come before job-types/{name}/, which would otherwise match them."""

from django.urls import re_path

from job.views import job_types as views

NAME = r'(?P<name>[A-Za-z0-9_-]{1,50})'
# SemVer with pre-release and build parts (a + may arrive as %2B, which Django decodes).
VERSION = r'(?P<version>[0-9A-Za-z.+-]{1,50})'
REVISION = r'(?P<revision_num>[0-9]{1,9})'

urlpatterns = [
    re_path(r'^job-types/?$', views.JobTypeList.as_view(), name='job-type-list'),
    re_path(r'^job-type-names/?$', views.JobTypeNameList.as_view(), name='job-type-names'),
    re_path(r'^job-types/validation/?$', views.JobTypeValidation.as_view(), name='job-type-validation'),
    re_path(rf'^job-types/{NAME}/?$', views.JobTypeVersionList.as_view(), name='job-type-versions'),
    re_path(rf'^job-types/{NAME}/{VERSION}/?$', views.JobTypeDetail.as_view(), name='job-type-detail'),
    re_path(
        rf'^job-types/{NAME}/{VERSION}/revisions/?$',
        views.JobTypeRevisionList.as_view(),
        name='job-type-revisions',
    ),
    re_path(
        rf'^job-types/{NAME}/{VERSION}/revisions/{REVISION}/?$',
        views.JobTypeRevisionDetail.as_view(),
        name='job-type-revision-detail',
    ),
]
