"""kill -9 at random points of ingest, analyze, triage, coordination and report, a few times
each (the full run of 20 per stage is `make kill-test`): the database stays intact, the re-run
gives exactly the result of an uninterrupted run, nothing is left behind (in the folder or in
TMPDIR) and no process survives, also when only the pileon process is killed and its worker
processes must go by themselves."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import kill_bench  # noqa: E402


@pytest.fixture(autouse=True)
def _own_signing_key(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pileon.report.keys import KEY_ENV

    monkeypatch.setenv(KEY_ENV, str(tmp_path_factory.getbasetemp() / "kill9-key.pem"))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], dict[str, Path]]:
    work = tmp_path_factory.mktemp("kill9")
    _, files, starts = kill_bench.prepare(work, 300)
    return work, files, starts


@pytest.mark.parametrize(("stage", "kills", "whole_group"), [
    ("ingest", 2, True), ("analyze", 1, True), ("analyze", 1, False), ("triage", 2, True),
    ("coordination", 1, True), ("coordination-pool", 1, False), ("report", 1, True)])
def test_kill_minus_nine_then_rerun_equals_an_uninterrupted_run(
    prepared: tuple[Path, list[Path], dict[str, Path]], stage: str, kills: int,
    whole_group: bool
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
        # Inside the run, where a kill can hurt; the pileon process alone: once its workers run.
        at = rng.uniform(0.2 * took, 0.8 * took) if whole_group else None
        assert kill_bench.kill_once(stage, starts[stage], files, at, expect, work,
                                    whole_group) == []


def test_a_report_moved_aside_by_a_killed_run_is_put_back_or_removed(
    prepared: tuple[Path, list[Path], dict[str, Path]], tmp_path: Path
) -> None:
    """`report --force` moves the old report aside (`.OUT.old-*`), renames the new one in, then
    deletes the old one. Killed between the renames: OUT is missing and the old report, full
    of shielded text, sits hidden beside it. Killed while deleting: a hidden half copy."""
    _, _, starts = prepared
    db = tmp_path / "thread.db"
    shutil.copyfile(starts["report"], db)
    out = tmp_path / "report"
    report = [*kill_bench.PILEON, "report", str(db), "--out", str(out), "-q"]
    kill_bench.run(report)
    aside = tmp_path / ".report.old-0a1b2c3d"
    out.rename(aside)  # killed between the two renames
    refused = subprocess.run(report, capture_output=True, text=True)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert not aside.exists()  # put back where it was, whole
    assert subprocess.run([*kill_bench.PILEON, "verify", str(out)],
                          capture_output=True).returncode == 0
    shutil.copytree(out, aside)  # killed while deleting the old copy
    (aside / "index.html").unlink()
    done = subprocess.run([*report, "--force"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    left = {p.name for p in tmp_path.iterdir()} - {"thread.db-shm", "thread.db-wal"}
    assert left == {"report", "thread.db"}
