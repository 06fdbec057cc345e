"""kill -9 at random points of ingest, analyze, triage, coordination and report, a few times each (the full run of 20
per stage is `make kill-test`): the database stays intact, the re-run gives exactly the result of
an uninterrupted run, nothing is left behind and no process survives."""

from __future__ import annotations

import random
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import kill_bench  # noqa: E402


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict[str, Path]]:
    work = tmp_path_factory.mktemp("kill9")
    _, files, starts = kill_bench.prepare(work, 300)
    return work, files, starts


@pytest.mark.parametrize(("stage", "kills"), [("ingest", 2), ("analyze", 1), ("triage", 2),
                                             ("coordination", 1), ("report", 1)])
def test_kill_minus_nine_then_rerun_equals_an_uninterrupted_run(
    prepared: tuple[Path, list[Path], dict[str, Path]], stage: str, kills: int
) -> None:
    work, files, starts = prepared
    reference = work / f"reference-{stage}.db"
    shutil.copyfile(starts[stage], reference)
    started = time.monotonic()
    kill_bench.run(kill_bench.command(stage, reference, files))
    took = time.monotonic() - started
    expect = kill_bench.digest(reference, stage)
    rng = random.Random(stage)
    for _ in range(kills):
        at = rng.uniform(0.2 * took, 0.8 * took)  # inside the run, where a kill can hurt
        assert kill_bench.kill_once(stage, starts[stage], files, at, expect, work) == []
