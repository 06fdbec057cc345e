"""Fixtures for the live clients: a clock that never really sleeps, a fresh database, and
options pointing every platform at the loopback replay server (`server`, tests/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pileon.collect.http import RetryPolicy
from pileon.collect.run import CollectOptions
from pileon.store import connect

from .server import ReplayServer


class FakeClock:
    """Wall and monotonic time that advance only when the client sleeps; sleeps are recorded."""

    def __init__(self) -> None:
        self.now = time.time()
        self.mono = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        self.mono += max(0.0, seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def conn(db_path: Path) -> Iterator[object]:
    db = connect(db_path)
    yield db
    db.close()


@pytest.fixture
def options(server: ReplayServer) -> CollectOptions:
    return CollectOptions(base_url=server.base_url,
                          policy=RetryPolicy(attempts=4, min_interval=0.0, base_delay=1.0))
