from django.urls import re_path

from node import views
from scale.api.urls import ID

urlpatterns = [
    re_path(r'^nodes/?$', views.NodeList.as_view(), name='node-list'),
    re_path(rf'^nodes/(?P<node_id>{ID})/?$', views.NodeDetail.as_view(), name='node-detail'),
]
