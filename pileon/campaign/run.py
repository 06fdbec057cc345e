"""`campaign run`: every thread's partitions through the same analyzers on a Dask cluster.

Phases, each a set of independent tasks: export (thread DB → posts per day), then the analyze
map (one task per thread and day) beside the coordination map and reduce (one reduce per
thread), each thread's triage as soon as both are done; then, in this process, the
cross-target reduce and the summary. A partition whose output file exists is
skipped, so a killed run resumes where it stopped. A failing partition is reported in one line
naming it; the other partitions finish.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pileon.campaign.layout import Campaign, Thread
from pileon.campaign.tasks import (
    DONE,
    coordinate_thread,
    export_thread,
    score_partition,
    sketch_partition,
    triage_thread,
)
from pileon.errors import ConfigError, NetworkError

__all__ = ["RunReport", "connect_cluster", "run_campaign"]

CONNECT_TIMEOUT_S = 5


@dataclass(slots=True)
class RunReport:
    ran: int = 0
    skipped: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    dashboard: str | None = None
    workers: int = 0
    #: Wall seconds of each phase, and worker seconds spent in each kind of task.
    phases: dict[str, float] = field(default_factory=dict)
    task_seconds: dict[str, float] = field(default_factory=dict)


def connect_cluster(scheduler: str | None, workers: int | None,
                    processes: bool = True,
                    scratch: Path | None = None) -> tuple[Any, Any]:
    """(client, cluster): an existing scheduler, or an embedded LocalCluster on 127.0.0.1
    sized to the machine (one single-threaded worker per core; the classifier is CPU-bound).
    `scratch` holds the workers' spill and lock files: inside the campaign folder, because
    spilled partitions are post text and must not land in a shared /tmp."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("campaign mode needs Dask and pyarrow",
                          hint="pip install 'pileon[campaign]'") from exc
    if scheduler is not None:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise ConfigError(f"scheduler address {scheduler!r} is not an address",
                              hint="use tcp://HOST:PORT")
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT_S), None
        except (OSError, TimeoutError) as exc:
            raise NetworkError(f"Dask scheduler {scheduler} did not answer within "
                               f"{CONNECT_TIMEOUT_S} s",
                               hint="check the address, or leave out --scheduler to run on "
                                    "this machine") from exc
    n = workers or os.cpu_count() or 1
    try:
        import bokeh  # noqa: F401  (the dashboard needs it)

        dashboard: str | None = "127.0.0.1:0"
    except ImportError:
        dashboard = None
    where: dict[str, Any] = {"host": "127.0.0.1"} if processes else {}  # else inproc://
    if scratch is not None:
        scratch.mkdir(mode=0o700, exist_ok=True)
        where["local_directory"] = str(scratch)
        import dask  # the scheduler's and nannies' own locks follow the temporary directory

        dask.config.set({"temporary-directory": str(scratch)})
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                           dashboard_address=dashboard, silence_logs=logging.CRITICAL, **where)
    return Client(cluster), cluster


def _dashboard(client: Any, cluster: Any) -> str | None:
    """The dashboard address, when there is one (a local cluster serves it only with bokeh)."""
    if cluster is not None:
        try:
            import bokeh  # noqa: F401
        except ImportError:
            return None
    try:
        return str(client.dashboard_link)
    except Exception:  # noqa: BLE001 - a remote scheduler without a dashboard
        return None


def _exported(campaign: Campaign, thread: Thread) -> list[str] | None:
    marker = campaign.table_dir("posts", thread.name) / DONE
    if not marker.is_file():
        return None
    return list(json.loads(marker.read_text(encoding="utf-8"))["days"])


def _coordinated(campaign: Campaign, thread: Thread, params: dict[str, Any]) -> bool:
    marker = campaign.table_dir("clusters", thread.name) / DONE
    if not marker.is_file():
        return False
    return json.loads(marker.read_text(encoding="utf-8")).get("params") == params


def _triaged(campaign: Campaign, thread: Thread, rules_sha256: str) -> bool:
    marker = campaign.table_dir("folders", thread.name) / DONE
    if not marker.is_file():
        return False
    return json.loads(marker.read_text(encoding="utf-8")).get("rules_sha256") == rules_sha256


def _wait(client: Any, labelled: list[tuple[str, Any]], report: RunReport,
          show_progress: bool, say: Callable[[str], None],
          upstream: dict[str, list[str]] | None = None) -> None:
    """Wait for every task; report each failure once, in one line naming its partition.
    `upstream[label]` names the tasks a task depends on: when one of those failed, the
    dependent is not reported again (it could not run)."""
    if not labelled:
        return
    from distributed import wait

    futures = [f for _, f in labelled]
    if show_progress:
        from distributed import progress

        progress(futures)
    wait(futures)
    failed: set[str] = set()
    for label, future in labelled:
        report.ran += 1
        if future.status == "error":
            failed.add(label)
            if any(u in failed for u in (upstream or {}).get(label, ())):
                continue
            exc = future.exception()
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            outcome: dict[str, Any] = {"ok": False, "partition": label, "error": error}
        elif label.startswith("coordination map "):
            continue  # a sketch: it stays on the workers, for the reduce that took it
        else:
            outcome = future.result()
        kind = label.split(" thread=")[0]
        report.task_seconds[kind] = round(report.task_seconds.get(kind, 0.0)
                                          + float(outcome.get("seconds", 0.0)), 3)
        if not outcome["ok"]:
            failed.add(label)
            if any(u in failed for u in (upstream or {}).get(label, ())):
                continue  # not run because a task it reads failed: reported there
            for item in outcome.get("failures") or [outcome]:
                report.failed.append({"partition": item["partition"], "error": item["error"]})
                say(f"Error: partition {item['partition']}: {item['error']}")


def _triage_last(tasks: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Triage tasks after their upstream tasks: a failure is reported once, there."""
    return ([t for t in tasks if not t[0].startswith("folders ")]
            + [t for t in tasks if t[0].startswith("folders ")])


def _windowed(client: Any, threads: list[Thread], submit: Callable[[Thread], list[Any]],
              window: int, report: RunReport, say: Callable[[str], None],
              upstream: dict[str, list[str]]) -> None:
    """Threads through the cluster `window` at a time, each thread's tasks collected (and
    released) when its last task is done; one progress line per finished thread."""
    from distributed import as_completed, wait

    queue = list(threads)
    running: dict[Any, tuple[str, list[tuple[str, Any]]]] = {}
    done = as_completed()
    finished = 0

    def feed() -> None:
        while queue and len(running) < window:
            thread = queue.pop(0)
            tasks = submit(thread)
            if tasks:
                running[tasks[-1][1]] = (thread.name, tasks)
                done.add(tasks[-1][1])

    feed()
    while running:
        last = next(done)
        name, tasks = running.pop(last)
        wait([f for _, f in tasks])  # its other tasks are upstream of the last one: done
        _wait(client, _triage_last(tasks), report, False, say, upstream)
        finished += 1
        say(f"thread {name} done ({finished} of {len(threads)})")
        del tasks, last  # the futures go: Dask frees their results (map sketches) on workers
        feed()


def run_campaign(campaign: Campaign, *, scheduler: str | None = None,
                 workers: int | None = None, backend: str = "builtin",
                 params: Any = None, rules_path: Path | None = None,
                 processes: bool = True, show_progress: bool = False,
                 say: Callable[[str], None] = lambda _m: None,
                 client: Any = None, in_flight: int | None = None) -> RunReport:
    """Run (or resume) every thread's partitions — analyze, coordination, triage — then the
    cross-target tables and the summary.

    At most `in_flight` threads (default: twice the workers) are submitted at a time; the next
    thread goes in as one finishes, and a finished thread's futures are let go, so its map
    sketches leave the workers' memory: per-worker memory is bounded by the window, not by the
    campaign's size."""
    from pileon.campaign.summary import write_outputs
    from pileon.coordinate.results import CoordinationParams
    from pileon.triage.rules import load_rules

    rules = load_rules(rules_path)  # a bad rules file is one error line before any work

    threads = campaign.threads()
    if not threads:
        raise ConfigError("the campaign has no threads yet", path=str(campaign.root),
                          hint=f"pileon campaign add {campaign.root} THREAD...")
    params_dict = asdict(params or CoordinationParams())
    report = RunReport()
    for leftover in (campaign.root / "parquet").glob("**/.*.tmp-*"):
        leftover.unlink(missing_ok=True)  # half-written by a killed run; never read
    cluster = None
    own = client is None
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.phases[phase] = round(now - clock, 3)
        clock = now

    if own:
        client, cluster = connect_cluster(scheduler, workers, processes,
                                          scratch=campaign.root / ".dask-scratch")
    lap("cluster")
    try:
        report.dashboard = _dashboard(client, cluster)
        report.workers = len(client.scheduler_info()["workers"])
        say(f"Dask: {report.workers} worker(s) at {client.scheduler.address}; dashboard: "
            + (report.dashboard or "not available (pip install bokeh)"))
        root = str(campaign.root)
        todo = [t for t in threads if _exported(campaign, t) is None]
        report.skipped += len(threads) - len(todo)
        _wait(client, [(f"posts thread={t.name}",
                        client.submit(export_thread, root, t.name, pure=False)) for t in todo],
              report, show_progress, say)
        lap("export")

        def submit(t: Thread) -> list[tuple[str, Any]]:
            """Every task of one thread (scores, sketches, its reduce, triage last), or []."""
            days = _exported(campaign, t)
            if days is None:
                return []  # its export failed (reported above)
            tasks: list[tuple[str, Any]] = []
            for day in days:
                if campaign.partition("scores", t.name, day).is_file():
                    report.skipped += 1
                else:
                    tasks.append((f"scores thread={t.name} day={day}", client.submit(
                        score_partition, root, t.name, day, backend, pure=False)))
            if _coordinated(campaign, t, params_dict):
                report.skipped += 1
            else:
                label = f"coordination thread={t.name}"
                sketches = []
                for day in days:
                    sketch_label = f"coordination map thread={t.name} day={day}"
                    future = client.submit(sketch_partition, root, t.name, day, params_dict,
                                           pure=False)
                    tasks.append((sketch_label, future))
                    sketches.append(future)
                    upstream.setdefault(label, []).append(sketch_label)
                tasks.append((label, client.submit(coordinate_thread, root, t.name,
                                                   params_dict, *sketches, pure=False)))
            # Triage once the thread's scores and clusters are in (Dask waits for them).
            mine = [(label, f) for label, f in tasks
                    if not label.startswith("coordination map ")]
            if not mine and _triaged(campaign, t, rules.sha256):
                report.skipped += 1
                return tasks
            label = f"folders thread={t.name}"
            upstream[label] = [u for u, _ in mine]
            tasks.append((label, client.submit(
                triage_thread, root, t.name, str(rules_path) if rules_path else None,
                *(f for _, f in mine), pure=False)))
            return tasks

        upstream: dict[str, list[str]] = {}
        window = in_flight if in_flight is not None else 2 * max(1, report.workers)
        if len(threads) <= window:
            tasks = [task for t in threads for task in submit(t)]
            _wait(client, _triage_last(tasks), report, show_progress, say, upstream)
        else:
            _windowed(client, threads, submit, window, report, say, upstream)
        lap("analyze+coordination")
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
    write_outputs(campaign, threads, CoordinationParams(**params_dict))
    lap("outputs")
    return report
