"""Process groups of the jobs an agent runs: signalling them, and recognising a leftover one after
the agent restarted.

Each job runs in its own session (start_new_session), so its pid is also its process group id and
everything it starts shares that group: signalling the group reaches all of it. A pid is not reused
while a process group of that id exists, so signalling a group we started is safe even after its
leader exited.
"""

import os
import signal
import time


def signal_group(pgid, signum):
    """Sends `signum` to process group `pgid`; False when the group no longer exists."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def group_exists(pgid):
    """Whether process group `pgid` still has a member (a zombie counts)."""
    return signal_group(pgid, 0)


def is_job_process(pid, job_id, exe_num):
    """Whether `pid` is alive, leads its own process group and is execution `exe_num` of job `job_id`
    as this agent started it: its environment (readable only for our own user's processes) holds
    SCALE_JOB_ID and SCALE_EXE_NUM with those values. Without /proc the answer is False: a process we
    cannot recognise is never killed."""
    if not pid or pid <= 1:
        return False
    try:
        if os.getpgid(pid) != pid:
            return False
        with open(f'/proc/{pid}/environ', 'rb') as environ:
            variables = set(environ.read(1024 * 1024).split(b'\0'))
    except OSError:
        return False
    return {f'SCALE_JOB_ID={job_id}'.encode(), f'SCALE_EXE_NUM={exe_num}'.encode()} <= variables


def terminate_group(pgid, grace_seconds):
    """SIGTERM to the group, then SIGKILL to whatever is left after `grace_seconds` (blocking; only
    used at start-up, for leftovers of a previous agent process)."""
    if not signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not group_exists(pgid):
            return
        time.sleep(0.05)
    signal_group(pgid, signal.SIGKILL)


def exit_code(returncode):
    """A process's exit code as a shell reports it: a death by signal N is 128 + N."""
    if returncode is None:
        return None
    return 128 - returncode if returncode < 0 else returncode
