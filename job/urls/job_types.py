"""Routes of the job_types area (see job/urls/__init__.py)."""

urlpatterns = []
