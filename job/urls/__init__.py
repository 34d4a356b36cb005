"""Routes of the job app under /v6/. Every route answers with and without its trailing slash."""

from job.urls import bulk, errors, job_types, jobs, storage

urlpatterns = [
    *bulk.urlpatterns,
    *jobs.urlpatterns,
    *job_types.urlpatterns,
    *storage.urlpatterns,
    *errors.urlpatterns,
]
