"""Routes of the job app under /v6/. Every route answers with and without its trailing slash."""

from job.urls import bulk, errors, job_type_status, job_types, jobs, metrics, storage

urlpatterns = [
    *bulk.urlpatterns,
    *jobs.urlpatterns,
    *job_type_status.urlpatterns,  # before job-types/{name}/
    *job_types.urlpatterns,
    *storage.urlpatterns,
    *errors.urlpatterns,
    *metrics.urlpatterns,
]
