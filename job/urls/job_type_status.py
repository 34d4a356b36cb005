"""Routes of the job-type aggregate endpoints (see job/urls/__init__.py: they come before
job-types/{name}/, which would otherwise match job-types/status/). Every route answers with and
without its trailing slash."""

from django.urls import re_path

from job.views import job_type_status as views

urlpatterns = [
    re_path(r'^job-types/status/?$', views.JobTypeStatusList.as_view(), name='job-type-status'),
    re_path(r'^job-types/running/?$', views.RunningJobTypeList.as_view(), name='job-type-running'),
    re_path(r'^job-types/pending/?$', views.PendingJobTypeList.as_view(), name='job-type-pending'),
    re_path(r'^queue/status/?$', views.QueueStatusList.as_view(), name='queue-status'),
    re_path(r'^ingests/status/?$', views.IngestStatusList.as_view(), name='ingest-status'),
]
