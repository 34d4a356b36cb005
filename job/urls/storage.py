"""Routes of the storage area (see job/urls/__init__.py)."""

from django.urls import re_path

from job.views import storage as views
from scale.api.urls import ID

# Every route answers with and without its trailing slash.
urlpatterns = [
    re_path(r'^workspaces/?$', views.WorkspaceList.as_view(), name='workspace-list'),
    re_path(
        rf'^workspaces/(?P<workspace_id>{ID})/?$', views.WorkspaceDetail.as_view(), name='workspace-detail'
    ),
    re_path(r'^files/?$', views.ScaleFileList.as_view(), name='file-list'),
    re_path(rf'^files/(?P<file_id>{ID})/?$', views.ScaleFileDetail.as_view(), name='file-detail'),
]
