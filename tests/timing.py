"""
Guards against runaway processing (a quadratic corner, a backtracking pattern).

They measure CPU time, not wall-clock time, so other processes on a shared
machine do not fail them, and their bounds are several times what the code
takes: they catch the 20-second regressions they were written for, not a
slower machine. Speed itself is measured by the benchmarks under bench/.
"""

import time

RUNAWAY_SECONDS = 5


def cpu_seconds(work, *args):
    """What running `work(*args)` cost this process, in CPU seconds, and what it returned."""
    started = time.process_time()
    result = work(*args)
    return time.process_time() - started, result
