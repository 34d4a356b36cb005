from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from scale import accounts, views, web_ui

urlpatterns = [
    re_path(r'^healthz/?$', views.healthz, name='healthz'),
    re_path(r'^readyz/?$', views.readyz, name='readyz'),
    re_path(r'^metrics/?$', views.metrics, name='metrics'),
    re_path(r'^v6/schema/?$', SpectacularAPIView.as_view(), name='schema'),
    re_path(r'^v6/docs/?$', SpectacularSwaggerView.as_view(url_name='schema'), name='docs'),
    re_path(r'^v6/accounts/profile/?$', accounts.Profile.as_view(), name='profile'),
    path('v6/', include('job.urls')),
    path('v6/', include('node.urls')),
    re_path(r'^accounts/login/?$', accounts.SignIn.as_view(), name='sign-in'),
    re_path(r'^accounts/logout/?$', accounts.SignOut.as_view(), name='sign-out'),
    path('api-auth/', include('rest_framework.urls')),
    path('admin/', admin.site.urls),
    # Last: everything no route above took, when SCALE_UI_DIR is set (scale/web_ui.py).
    re_path(web_ui.ROUTE, web_ui.serve, name='web-ui'),
]

handler404 = 'scale.api.exceptions.not_found'
handler500 = 'scale.api.exceptions.server_error'
