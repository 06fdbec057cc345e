"""Process pools whose workers die with the pileon process that started them.

A `ProcessPoolExecutor` worker outlives a parent killed by SIGKILL (the OOM killer, `kill -9`):
it keeps computing, then waits forever on a queue nobody writes to, holding the thread's posts
in memory. Here each worker asks Linux to SIGKILL it when its parent dies (PR_SET_PDEATHSIG)
and leaves at once if the parent is already gone (issue 19: no process left running).
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

__all__ = ["die_with_parent", "worker_pool"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a worker: be killed when `parent` dies, and leave now if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent check below still applies
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _start_worker(parent: int, initializer: Callable[..., None] | None,
                  initargs: tuple[Any, ...]) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(workers: int, context: BaseContext,
                initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (),
                max_tasks_per_child: int | None = None) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor of `workers` processes that go when this process goes
    (`max_tasks_per_child`: each worker is replaced after that many tasks; spawn only).

    Linux sends the signal when the *thread* that started a worker ends, so call this (and
    submit) from a thread that lives as long as the pool."""
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs),
                               max_tasks_per_child=max_tasks_per_child)
