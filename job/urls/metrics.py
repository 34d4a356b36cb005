"""Routes of the metrics API (see job/urls/__init__.py). Every route answers with and without its
trailing slash. /v6/metrics/ is Scale's metrics API; the Prometheus text is at /metrics."""

from django.urls import re_path

from job.views import metrics as views

urlpatterns = [
    re_path(r'^metrics/?$', views.MetricsTypeList.as_view(), name='metrics-type-list'),
    re_path(r'^metrics/job-types/?$', views.JobTypeMetrics.as_view(), name='metrics-job-types'),
    re_path(
        r'^metrics/job-types/plot-data/?$', views.JobTypePlotData.as_view(), name='metrics-job-types-plot'
    ),
]
