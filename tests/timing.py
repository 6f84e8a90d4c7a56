"""
Guards against runaway processing (a quadratic corner, a backtracking pattern).

They measure CPU time, not wall-clock time, so other processes on a shared
machine do not fail them, and their bounds are several times what the code
takes: they catch the 20-second regressions they were written for, not a
slower machine. Speed itself is measured by the benchmarks under bench/.
"""

import time

RUNAWAY_SECONDS = 5


def cpu_seconds(work, *args, tries=1):
    """
    What running `work(*args)` cost this process, in CPU seconds (the best of
    `tries`: other processes on the machine count for less), and what it returned.
    """
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        result = work(*args)
        best = min(best, time.process_time() - started)
    return best, result
