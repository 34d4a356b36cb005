"""Routes of the errors area (see job/urls/__init__.py)."""

urlpatterns = []
