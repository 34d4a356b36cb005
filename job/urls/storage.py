"""Routes of the storage area (see job/urls/__init__.py)."""

urlpatterns = []
