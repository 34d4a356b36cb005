"""Log lines of one execution: an opening, progress and warnings, and a closing line that says how it
ended (a failure ends with an error-like stderr line)."""

from job.seeding.attempts import CANCEL, DONE, FAIL, RETRY, RUN

STDOUT = 'stdout'
STDERR = 'stderr'

EPSG = (4326, 3857, 32618, 32633, 32755)
DRIVERS = ('GTiff', 'NITF', 'HDF4', 'SAFE', 'JP2OpenJPEG', 'GeoJSON')
# Progress (stdout) and warning (stderr) lines: functions of (random, file name).
PROGRESS = (
    lambda r, f: f'Reading raster metadata from {f}',
    lambda r, f: f'Reprojecting to EPSG:{EPSG[int(r() * 5)]}',
    lambda r, f: f'Computing statistics for band {1 + int(r() * 11)}',
    lambda r, f: f'Processed {1 + int(r() * 64)} of 64 blocks',
    lambda r, f: 'Writing overviews (levels 2 4 8 16)',
    lambda r, f: f'Tiling output at zoom level {8 + int(r() * 11)}',
    lambda r, f: f'Validated checksum of {f}',
    lambda r, f: 'Loaded configuration: LOG_LEVEL=INFO',
    lambda r, f: f'Opened {f} with driver {DRIVERS[int(r() * 6)]}',
    lambda r, f: f'Peak memory use {90 + int(r() * 3900)} MiB',
)
WARNINGS = (
    lambda r, f: (
        'Warning 1: TIFFReadDirectory: Sum of Photometric type-related color channels and ExtraSamples '
        "doesn't match SamplesPerPixel."
    ),
    lambda r, f: f'Warning: nodata value not set on {f}; assuming 0',
    lambda r, f: f'UserWarning: CRS of {f} has no EPSG code; using its WKT definition',
    lambda r, f: f'WARNING: slow read from /scale/input_data ({2 + int(r() * 38)} MB/s)',
    lambda r, f: f'Warning 6: driver {DRIVERS[int(r() * 6)]} does not support creation option COMPRESS=ZSTD',
)
RETRY_MESSAGES = {
    'node-lost': 'ERROR: lost contact with node {node}; execution abandoned',
    'launch-timeout': 'ERROR: the task did not start within the launch timeout',
    'docker-task-launch': 'ERROR: docker: Error response from daemon: OCI runtime create failed',
    'docker-terminated': 'ERROR: container terminated unexpectedly (OOMKilled=false, exit 137)',
    'pull-timeout': 'ERROR: timed out pulling image {image}',
    'resource-starvation': 'ERROR: next task starved of resources for 600 s',
    'scheduler-lost': 'ERROR: scheduler restarted; execution lost',
    'filesystem-io': 'OSError: [Errno 5] Input/output error: /scale/input_data/{input}/{file}',
    'system-timeout': 'ERROR: system task exceeded its timeout',
    'unknown': 'ERROR: unexpected failure; see the node agent log',
    'algorithm-unknown': 'ERROR: algorithm exited with code {code}',
    'timeout': 'ERROR: execution exceeded its timeout of {timeout} s; sending SIGKILL',
    'missing-required-output': 'ERROR: required output {output} matched no file in /scale/output_data',
    'invalid-results-manifest': 'ERROR: seed.outputs.json is not valid for the output interface',
}


class LogMaker:
    def __init__(self, rng, lines_min, lines_max):
        self.rng = rng
        self.lines_min = max(0, min(lines_min, lines_max))
        self.lines_max = max(0, lines_max)

    def lines(self, attempt, ctx):
        """[(stream, message)] for one execution; `ctx`: (title, version, job id, input name, file name,
        file size, timeout, image, output name, node hostname, seconds)."""
        if self.lines_max == 0:
            return []
        random = self.rng.random
        count = self.lines_min + int(random() * (self.lines_max - self.lines_min + 1))
        if count == 0:
            return []
        (
            title,
            version,
            job_id,
            input_name,
            file_name,
            file_size,
            _timeout,
            _image,
            _output,
            _node,
            seconds,
        ) = ctx
        kind = attempt.kind
        head = [
            (STDOUT, f'{title} {version} starting: job {job_id}, execution {attempt.exe_num}'),
            (STDOUT, f'Input {input_name}: {file_name} ({file_size:,} bytes)'),
        ]
        if kind == DONE:
            tail = [
                (STDOUT, f'Wrote /scale/output_data/{_output.lower()}'),
                (STDOUT, f'Completed in {seconds:.1f} s'),
            ]
        elif kind in (FAIL, RETRY):
            tail = [(STDERR, self._failure(attempt, ctx))]
            if attempt.exit_code is not None:
                tail.append((STDERR, f'Process exited with code {attempt.exit_code}'))
        elif kind == CANCEL:
            tail = [(STDERR, 'Received SIGTERM: execution canceled')]
        else:
            tail = []
        middle = count - len(head) - len(tail)
        if middle < 0:
            return (head + tail)[-count:] if tail else head[:count]
        for _ in range(middle):
            if random() < 0.2:
                head.append((STDERR, WARNINGS[int(random() * len(WARNINGS))](random, file_name)))
            else:
                head.append((STDOUT, PROGRESS[int(random() * len(PROGRESS))](random, file_name)))
        if kind == RUN:
            return head
        head.extend(tail)
        return head

    @staticmethod
    def _failure(attempt, ctx):
        error = attempt.error
        if isinstance(error, tuple):
            return f'ERROR: {error[2]}: {error[3]}'
        _title, _version, _job, input_name, file_name, _size, timeout, image, output, node, _seconds = ctx
        template = RETRY_MESSAGES.get(error, 'ERROR: {error} failure')
        return template.format(
            node=node,
            image=image,
            input=input_name,
            file=file_name,
            code=attempt.exit_code,
            timeout=timeout,
            output=output,
            error=error,
        )
