"""Running test code in concurrent threads, each with its own database connection, to construct races.

Use in tests marked `@pytest.mark.django_db(transaction=True)` (the threads must see committed data),
and call needs_concurrent_writers() first: SQLite serializes writers, so the races are real only on
PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections


def needs_concurrent_writers():
    if connection.vendor != 'postgresql':
        pytest.skip('needs concurrent writers (PostgreSQL)')


def run_together(count, work):
    """Runs work(index) in `count` threads released at once by a barrier; returns each thread's
    result, or the exception it raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # the test inspects what each thread met
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
