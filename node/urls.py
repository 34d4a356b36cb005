from django.urls import re_path

from node import views
from scale.api.urls import ID

urlpatterns = [
    re_path(r'^nodes/?$', views.NodeList.as_view(), name='node-list'),
    re_path(rf'^nodes/(?P<node_id>{ID})/?$', views.NodeDetail.as_view(), name='node-detail'),
    re_path(r'^version/?$', views.VersionView.as_view(), name='version'),
    re_path(r'^scheduler/?$', views.SchedulerView.as_view(), name='scheduler'),
    re_path(r'^status/?$', views.StatusView.as_view(), name='status'),
    re_path(r'^load/?$', views.LoadView.as_view(), name='load'),
]
