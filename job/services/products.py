"""Registering the files a job execution produced as PRODUCT ScaleFiles
(shared/reference/scale-supporting-apis.md section 2.8: each captured output file becomes a product
with its provenance)."""

import hashlib
import posixpath
from dataclasses import dataclass

from django.db import transaction

from job.choices import FileType
from job.models import ScaleFile
from job.services.queue import SOURCE_STRINGS
from job.services.storage import guess_media_type

DEFAULT_MEDIA_TYPE = 'application/octet-stream'
# A product inherits its job's source fields (of its input files).
SOURCE_FIELDS = ('source_started', 'source_ended', *SOURCE_STRINGS)


@dataclass(frozen=True)
class ProductFile:
    """A produced file already written into its workspace: the manifest output it answers
    (`output_name`), where it is (`workspace_id`, `file_path` relative to the workspace), its size in
    bytes and the media type the manifest declared for the output."""

    output_name: str
    workspace_id: int
    file_path: str
    file_size: int
    media_type: str = DEFAULT_MEDIA_TYPE


def product_path(job_type_name, job_type_version, job_id, exe_num, relative_path):
    """Where a product goes in its workspace: `jobs/<job type>/<version>/job_<id>/exe_<n>/<path>`, the
    path being the file's path relative to the execution's output directory. Distinct per execution,
    so a rerun never collides with an earlier run's products."""
    return posixpath.join(
        'jobs', job_type_name, job_type_version, f'job_{job_id}', f'exe_{exe_num}', relative_path
    )


def register_products(job, execution_id, products, now=None):
    """Creates a PRODUCT ScaleFile for each ProductFile of `products` written by execution
    `execution_id` of `job` (a Job; its recipe is read), in one transaction, and returns `{output name: [file ids]}` in
    the order given.

    Provenance: job, job_exe, job_type, job_output, recipe (and its recipe type) and batch of the job;
    the source times and sensor fields are the job's (aggregated from its inputs when it was queued).
    The media type is the one the manifest declares, or guessed from the file name when the manifest
    kept the default. Raises IntegrityError when a (workspace, path) is already registered.
    """
    files = []
    recipe = job.recipe
    for product in products:
        file_name = posixpath.basename(product.file_path)
        media_type = product.media_type or DEFAULT_MEDIA_TYPE
        if media_type == DEFAULT_MEDIA_TYPE:
            media_type = guess_media_type(file_name)
        fields = {name: getattr(job, name) for name in SOURCE_FIELDS}
        if now is not None:
            fields['created'] = now
        files.append(
            ScaleFile(
                workspace_id=product.workspace_id,
                file_name=file_name,
                file_path=product.file_path,
                file_type=FileType.PRODUCT,
                file_size=product.file_size,
                media_type=media_type,
                uuid=hashlib.md5(product.file_path.encode(), usedforsecurity=False).hexdigest(),
                job_type_id=job.job_type_id,
                job_id=job.id,
                job_exe_id=execution_id,
                job_output=product.output_name,
                recipe_id=job.recipe_id,
                recipe_type_id=recipe.recipe_type_id if recipe is not None else None,
                batch_id=job.batch_id,
                **fields,
            )
        )
    outputs = {}
    with transaction.atomic():
        # One row at a time: bulk_create returns primary keys only on some backends and versions,
        # and a job produces few files.
        for scale_file in files:
            scale_file.save(force_insert=True)
            outputs.setdefault(scale_file.job_output, []).append(scale_file.id)
    return outputs
