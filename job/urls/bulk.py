from django.urls import re_path

from job.views import bulk as views
from scale.api.urls import ID

urlpatterns = [
    re_path(r'^jobs/cancel/?$', views.CancelJobs.as_view(), name='jobs-cancel'),
    re_path(r'^jobs/requeue/?$', views.RequeueJobs.as_view(), name='jobs-requeue'),
    re_path(r'^bulk-operations/?$', views.BulkOperationList.as_view(), name='bulk-operation-list'),
    re_path(
        rf'^bulk-operations/(?P<operation_id>{ID})/?$',
        views.BulkOperationDetail.as_view(),
        name='bulk-operation-detail',
    ),
]
