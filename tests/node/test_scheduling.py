"""The scheduler's matching (node.scheduling), without a database."""

import random

from node.scheduling import (
    DEPRECATED,
    LIFO,
    OFFLINE,
    PAUSED,
    REASON_MAX_LENGTH,
    JobTypeSnapshot,
    NodeSnapshot,
    QueuedJob,
    paused_reasons,
    plan,
    queue_order,
)

CPU = {'cpus': 8.0, 'mem': 16384.0, 'disk': 100000.0, 'gpus': 0.0}
GPU = {'cpus': 8.0, 'mem': 16384.0, 'disk': 100000.0, 'gpus': 2.0}
SMALL = {'cpus': 1.0, 'mem': 1024.0, 'disk': 0.0, 'gpus': 0.0}


def node(node_id, total=None, free=None, state='READY', hostname=None):
    total = dict(total or CPU)
    return NodeSnapshot(node_id, hostname or f'n{node_id}', total, dict(free or total), state)


def job(job_id, resources=None, *, type_id=1, priority=100, queued=None, exe_num=1):
    return QueuedJob(
        job_id, exe_num, type_id, priority, job_id if queued is None else queued, resources or SMALL
    )


def placed(result):
    return {placement.job_id: placement.node_id for placement in result.placements}


# -- best fit -----------------------------------------------------------------------------------------


def test_places_on_the_tightest_node_and_allocates_the_requirement():
    nodes = [node(1), node(2, free={**CPU, 'cpus': 2.0}), node(3, free={**CPU, 'cpus': 4.0})]

    result = plan([job(7, exe_num=3)], nodes)

    assert len(result.placements) == 1
    placement = result.placements[0]
    assert (placement.job_id, placement.exe_num, placement.node_id) == (7, 3, 2)
    assert placement.resources == SMALL
    assert result.reasons == {}


def test_placing_consumes_free_resources_for_the_rest_of_the_pass():
    nodes = [node(1, total={'cpus': 4.0, 'mem': 4096.0})]
    jobs = [job(i, {'cpus': 1.5, 'mem': 1000.0}) for i in range(1, 4)]

    result = plan(jobs, nodes)

    assert placed(result) == {1: 1, 2: 1}
    assert (
        result.reasons[3] == 'waiting for 1.5 cpus (the freest ready node has 1); node n1 is reserved for it'
    )


def test_gpu_nodes_are_kept_for_gpu_jobs():
    nodes = [node(1, GPU), node(2, CPU)]
    jobs = [job(1), job(2, {**SMALL, 'gpus': 1.0}), job(3), job(4, {**SMALL, 'gpus': 1.0})]

    result = plan(jobs, nodes)

    assert placed(result) == {1: 2, 2: 1, 3: 2, 4: 1}


def test_a_resource_the_node_lacks_counts_as_zero_and_custom_resources_match():
    nodes = [node(1, CPU), node(2, {**CPU, 'fpga': 1.0})]
    jobs = [job(1, {**SMALL, 'fpga': 1.0}), job(2, {**SMALL, 'fpga': 1.0}), job(3)]

    result = plan(jobs, nodes)

    assert placed(result) == {1: 2, 3: 1}
    assert result.reasons[2] == 'waiting for 1 fpga (the freest ready node has 0); node n2 is reserved for it'


def test_fractional_allocations_add_up_exactly():
    nodes = [node(1, total={'cpus': 0.3, 'mem': 300.0})]
    jobs = [job(1, {'cpus': 0.1, 'mem': 100.0}), job(2, {'cpus': 0.2, 'mem': 200.0})]

    assert placed(plan(jobs, nodes)) == {1: 1, 2: 1}


# -- order ----------------------------------------------------------------------------------------------


def test_priority_first_then_queued_time_then_id():
    jobs = [
        job(1, priority=200, queued=1),
        job(2, priority=100, queued=5),
        job(3, priority=100, queued=3),
        job(4, priority=100, queued=3),
    ]

    assert [j.id for j in queue_order(jobs)] == [3, 4, 2, 1]
    assert [j.id for j in queue_order(jobs, LIFO)] == [2, 3, 4, 1]


def test_higher_priority_jobs_take_the_room_first():
    nodes = [node(1, total={'cpus': 2.0, 'mem': 4096.0})]
    jobs = [job(1, priority=300), job(2, priority=10), job(3, priority=100)]

    result = plan(jobs, nodes)

    assert placed(result) == {2: 1, 3: 1}
    assert 1 in result.reasons


def test_lifo_places_the_newest_job_first():
    nodes = [node(1, total={'cpus': 1.0, 'mem': 4096.0})]
    jobs = [job(1, queued=10), job(2, queued=30), job(3, queued=20)]

    assert placed(plan(jobs, nodes)) == {1: 1}
    assert placed(plan(jobs, nodes, queue_mode=LIFO)) == {2: 1}


# -- job types ------------------------------------------------------------------------------------------


def test_max_scheduled_counts_running_and_placed_this_pass():
    nodes = [node(1)]
    types = [JobTypeSnapshot(1, max_scheduled=3, running=1)]
    jobs = [job(i) for i in range(1, 6)] + [job(6, type_id=2)]

    result = plan(jobs, nodes, types)

    assert placed(result) == {1: 1, 2: 1, 6: 1}
    assert result.reasons[3] == result.reasons[5] == 'job type at max_scheduled (3 running)'


def test_paused_job_type_waits_and_does_not_block_the_others():
    nodes = [node(1)]
    types = [JobTypeSnapshot(1, is_paused=True)]
    jobs = [job(i, priority=1) for i in range(1, 4)] + [job(9, type_id=2, priority=500)]

    result = plan(jobs, nodes, types)

    assert placed(result) == {9: 1}
    assert result.reasons == {1: 'job type paused', 2: 'job type paused', 3: 'job type paused'}
    assert 1 not in result.unmet_resources


# -- nodes ----------------------------------------------------------------------------------------------


def test_paused_offline_and_deprecated_nodes_take_nothing():
    nodes = [node(1, state=PAUSED), node(2, state=OFFLINE), node(3, state=DEPRECATED)]

    result = plan([job(1)], nodes)

    assert result.placements == []
    assert result.reasons == {1: 'no ready node'}
    assert result.unmet_resources == {1: None}


def test_only_a_non_ready_node_is_big_enough():
    nodes = [node(1, {'cpus': 64.0, 'mem': 65536.0}, state=OFFLINE), node(2)]

    result = plan([job(1, {'cpus': 32.0, 'mem': 1024.0})], nodes)

    assert result.reasons == {1: 'waiting for a node big enough: those are paused or offline'}
    assert result.unmet_resources == {1: None}


def test_no_node_registered():
    result = plan([job(1)], [])

    assert result.reasons == {1: 'no node registered'}
    assert result.unmet_resources == {}


# -- never fits vs not now ------------------------------------------------------------------------------


def test_never_fits_sets_unmet_resources_with_the_reason():
    nodes = [node(1, GPU), node(2, CPU, state=OFFLINE), node(3, {**GPU, 'gpus': 16.0}, state=DEPRECATED)]
    jobs = [
        job(1, {**SMALL, 'gpus': 8.0}, type_id=1),
        job(2, {**SMALL, 'fpga': 2.0}, type_id=2),
        job(3, {**SMALL, 'mem': 65536.0, 'gpus': 4.0}, type_id=3),
    ]

    result = plan(jobs, nodes)

    assert result.placements == []
    assert result.reasons == {
        1: 'needs 8 gpus, the largest node has 2',
        2: "needs resource 'fpga', which no node has",
        3: 'needs 65536 MiB mem, the largest node has 16384; needs 4 gpus, the largest node has 2',
    }
    assert result.unmet_resources == {1: 'gpus', 2: 'fpga', 3: 'gpus,mem'}


def test_resources_that_no_single_node_has_together():
    nodes = [
        node(1, {'cpus': 32.0, 'mem': 1024.0, 'gpus': 0.0}),
        node(2, {'cpus': 2.0, 'mem': 1024.0, 'gpus': 4.0}),
    ]

    result = plan([job(1, {'cpus': 16.0, 'mem': 512.0, 'gpus': 1.0})], nodes)

    assert result.reasons == {1: 'needs 16 cpus, 512 MiB mem, 1 gpus on one node, which no node has'}
    assert result.unmet_resources == {1: 'cpus,gpus'}


def test_a_job_that_fits_but_not_now_waits_without_unmet_resources():
    nodes = [node(1, free={**CPU, 'cpus': 0.5})]

    result = plan([job(1)], nodes)

    assert result.reasons == {
        1: 'waiting for 1 cpus (the freest ready node has 0.5); node n1 is reserved for it'
    }
    assert result.unmet_resources == {1: None}


def test_unmet_resources_clear_when_another_job_of_the_type_can_run():
    nodes = [node(1)]
    jobs = [job(1, {**SMALL, 'gpus': 1.0}), job(2)]

    result = plan(jobs, nodes)

    assert placed(result) == {2: 1}
    assert result.reasons == {1: 'needs 1 gpus, the largest node has 0'}
    assert result.unmet_resources == {1: None}


def test_a_job_type_that_never_fits_does_not_block_the_rest():
    nodes = [node(1)]
    jobs = [job(i, {'cpus': 64.0}, type_id=1, priority=1) for i in range(1, 50)] + [job(99, type_id=2)]

    result = plan(jobs, nodes)

    assert placed(result) == {99: 1}
    assert result.unmet_resources == {1: 'cpus', 2: None}


# -- reservation ----------------------------------------------------------------------------------------


def test_a_waiting_big_job_reserves_a_node_against_lower_priority_jobs():
    # n1 is nearly free but one small job holds it; n2 has room for small jobs only.
    nodes = [node(1, free={**CPU, 'cpus': 7.0}), node(2, free={**CPU, 'cpus': 3.0})]
    big = job(1, {'cpus': 8.0, 'mem': 1024.0}, priority=10)
    small = [job(i, priority=100) for i in range(2, 12)]

    result = plan([big, *small], nodes, max_reservations=1)

    assert result.reservations == {1: 1}
    assert set(placed(result).values()) == {2}
    assert len(result.placements) == 3
    assert result.reasons[1] == 'waiting for 8 cpus (the freest ready node has 7); node n1 is reserved for it'
    assert result.reasons[11] == 'waiting behind a reserved node for job 1'


def test_reservations_are_bounded_so_big_jobs_cannot_idle_the_cluster():
    nodes = [node(i, free={**CPU, 'cpus': 4.0}) for i in range(1, 9)]
    big = [job(i, {'cpus': 8.0}, priority=1) for i in range(1, 20)]
    small = [job(i) for i in range(100, 124)]

    result = plan(big + small, nodes)

    assert len(result.reservations) == 2  # a quarter of the 8 ready nodes
    assert set(result.reservations.values()) == {1, 2}
    assert len(result.placements) == 24  # 6 unreserved nodes x 4 free cpus
    assert not set(placed(result).values()) & set(result.reservations)
    assert result.reasons[3] == 'waiting for 8 cpus (the freest ready node has 4)'


def test_reservation_needs_a_ready_node_big_enough():
    nodes = [node(1, {'cpus': 16.0}, state=PAUSED), node(2, free={**CPU, 'cpus': 0.0})]

    result = plan([job(1, {'cpus': 16.0}, priority=1), job(2, {'cpus': 0.0, 'mem': 10.0})], nodes)

    assert result.reservations == {}
    assert placed(result) == {2: 2}


# -- reasons and scale -----------------------------------------------------------------------------------


def test_reasons_are_short():
    nodes = [node(1)]
    resources = {f'custom-resource-{i:03}': 1.0 for i in range(40)}

    result = plan([job(1, resources)], nodes)

    assert len(result.reasons[1]) <= REASON_MAX_LENGTH


def test_paused_scheduler_reasons():
    assert paused_reasons([job(1), job(2)]) == {1: 'scheduler paused', 2: 'scheduler paused'}


def brute_force_best(nodes_free, totals, requirement):
    best = None
    for node_id, free in nodes_free.items():
        if all(free.get(name, 0.0) + 1e-9 >= value for name, value in requirement.items() if value > 0):
            total = totals[node_id]
            score = sum(
                (free[name] - requirement.get(name, 0.0)) / total[name] for name in total if total[name] > 0
            )
            if best is None or (score, node_id) < best:
                best = (score, node_id)
    return best and best[1]


def test_matches_a_brute_force_best_fit_on_a_random_world():
    rng = random.Random(4)
    shapes = [CPU, GPU, {'cpus': 32.0, 'mem': 131072.0, 'disk': 500000.0, 'gpus': 0.0}]
    nodes = [node(i, rng.choice(shapes)) for i in range(1, 41)]
    sizes = [SMALL, {**SMALL, 'cpus': 2.0}, {**SMALL, 'cpus': 4.0, 'mem': 8192.0}, {**SMALL, 'gpus': 1.0}]
    jobs = [job(i, dict(rng.choice(sizes))) for i in range(1, 600)]

    result = plan(jobs, nodes, max_reservations=0)

    totals = {n.id: n.total for n in nodes}
    free = {n.id: dict(n.free) for n in nodes}
    placements = iter(result.placements)
    expected = next(placements, None)
    for queued in jobs:
        best = brute_force_best(free, totals, queued.resources)
        if best is None:
            assert queued.id in result.reasons
            continue
        assert expected.job_id == queued.id and expected.node_id == best
        for name, value in queued.resources.items():
            free[best][name] -= value
        expected = next(placements, None)
    assert expected is None
