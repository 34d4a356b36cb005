from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from scale import views

urlpatterns = [
    re_path(r'^healthz/?$', views.healthz, name='healthz'),
    re_path(r'^readyz/?$', views.readyz, name='readyz'),
    re_path(r'^metrics/?$', views.metrics, name='metrics'),
    re_path(r'^v6/schema/?$', SpectacularAPIView.as_view(), name='schema'),
    re_path(r'^v6/docs/?$', SpectacularSwaggerView.as_view(url_name='schema'), name='docs'),
    path('v6/', include('job.urls')),
    path('v6/', include('node.urls')),
    path('api-auth/', include('rest_framework.urls')),
    path('admin/', admin.site.urls),
]

handler404 = 'scale.api.exceptions.not_found'
handler500 = 'scale.api.exceptions.server_error'
