"""Execution rows of one job (one per attempt that was placed on a node) and their log lines."""

from job.choices import ExecutionStatus
from job.seeding.attempts import CANCEL, DONE, FAIL, RETRY, RUN, WITH_EXECUTION
from job.seeding.world import SECOND

EXECUTION_STATUS = {
    RETRY: ExecutionStatus.FAILED,
    FAIL: ExecutionStatus.FAILED,
    DONE: ExecutionStatus.COMPLETED,
    CANCEL: ExecutionStatus.CANCELED,
    RUN: ExecutionStatus.RUNNING,
}


def add_executions(gen, rows, rec, attempts, requirement, first_file):
    """Rows of the job's executions and their log lines."""
    jt = rec.jt
    rev = rec.rev
    job_id = rec.id
    random = gen.rng.random
    planner = gen.planner
    anchor = gen.world.anchor
    exes = rows.tables['job_exe']
    log_rows = rows.tables['job_exe_log']
    lines_of = gen.logs.lines
    size = rec.size
    resources = rec.resources
    for attempt in attempts:
        kind = attempt.kind
        if kind not in WITH_EXECUTION:
            continue
        node = attempt.node or planner.place(jt, requirement, attempt.started)
        attempt.node = node
        exe_id = gen.next_id('job_exe')
        started = attempt.started
        ended = attempt.ended
        exes.append(
            (
                exe_id,
                job_id,
                jt.id,
                attempt.exe_num,
                EXECUTION_STATUS[kind],
                f'scale_job_{job_id}_{attempt.exe_num}',
                node.id if node is not None else None,
                attempt.error_id,
                attempt.exit_code,
                started,  # launched: the agent started the process when the execution started
                None,  # pid
                rev.timeout,
                size,
                resources,
                '{}',
                rec.output if kind == DONE else None,
                None,
                started,
                attempt.queued,
                started,
                ended,
                ended if ended is not None else started,
            )
        )
        if kind == DONE:
            rec.done_exe_id = exe_id
        end = ended if ended is not None else anchor
        span = end - started
        ctx = (
            jt.title,
            jt.version,
            job_id,
            rec.inputs[0][0],
            first_file.name,
            first_file.size,
            rev.timeout,
            jt.docker_image,
            jt.output[0],
            node.hostname if node is not None else 'unknown',
            span / SECOND,
        )
        lines = lines_of(attempt, ctx)
        if lines:
            count = len(lines)
            log_id = gen.ids['job_exe_log']
            for number, (stream, message) in enumerate(lines, start=1):
                at = started + int(span * (number - 1 + random()) / count)
                log_rows.append((log_id, exe_id, number, stream, message, at))
                log_id += 1
            gen.ids['job_exe_log'] = log_id
