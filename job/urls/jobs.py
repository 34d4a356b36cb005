from django.urls import re_path

from job.views import jobs as views
from scale.api.urls import ID

# Every route answers with and without its trailing slash.
urlpatterns = [
    re_path(r'^jobs/?$', views.JobList.as_view(), name='job-list'),
    re_path(rf'^jobs/(?P<job_id>{ID})/?$', views.JobDetail.as_view(), name='job-detail'),
    re_path(
        rf'^jobs/(?P<job_id>{ID})/input_files/?$', views.JobInputFileList.as_view(), name='job-input-files'
    ),
    re_path(
        rf'^jobs/(?P<job_id>{ID})/executions/?$', views.JobExecutionList.as_view(), name='job-executions'
    ),
    re_path(
        rf'^jobs/(?P<job_id>{ID})/executions/(?P<exe_num>{ID})/?$',
        views.JobExecutionDetail.as_view(),
        name='job-execution-detail',
    ),
    re_path(r'^job-executions/?$', views.AllJobExecutionList.as_view(), name='job-execution-list'),
    re_path(
        rf'^job-executions/(?P<exe_id>{ID})/?$', views.AllJobExecutionDetail.as_view(), name='job-execution'
    ),
    re_path(
        rf'^job-executions/(?P<exe_id>{ID})/logs/(?P<log_id>stdout|stderr|combined)/?$',
        views.JobExecutionLogView.as_view(),
        name='job-execution-log',
    ),
]
