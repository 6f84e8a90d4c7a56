import threading

from django.db import connection


def together(jobs, *, timeout=120):
    """
    Run each job in a thread of its own, released at the same instant by a
    barrier, each with its own database connection (closed when it ends).
    Returns the jobs' results in order; a job's error fails the test.
    """
    start = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            start.wait(timeout=30)
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    if errors:
        raise errors[0]
    return results


def staff_account(username):
    """
    A superuser at the desk. The staff groups come from data migrations, which
    the flush after any earlier transactional test has emptied; the races
    proven here do not depend on which permissions a member holds.
    """
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(
        username, f"{username}@example.org", "correct horse battery"
    )
