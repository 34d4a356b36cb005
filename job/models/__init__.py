from job.models.bulk import BulkOperation
from job.models.counts import JobCount
from job.models.error import Error
from job.models.execution import JobExecution, JobExecutionLog
from job.models.job import Job, JobInputFile, TriggerEvent
from job.models.job_type import JobType, JobTypeRevision
from job.models.metrics import JobTypeDailyMetrics
from job.models.secrets import SecretSetting
from job.models.storage import ScaleFile, Workspace

__all__ = [
    'BulkOperation',
    'Error',
    'Job',
    'JobCount',
    'JobExecution',
    'JobExecutionLog',
    'JobInputFile',
    'JobType',
    'JobTypeDailyMetrics',
    'JobTypeRevision',
    'ScaleFile',
    'SecretSetting',
    'TriggerEvent',
    'Workspace',
]
