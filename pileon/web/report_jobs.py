"""Evidence reports written from the review UI: one background thread per report, its stage
and fraction done kept for the progress page, its result or its one-line error after.

The thread runs `build_report`, the very function behind `pileon report`. One report at a
time: a second request while one is being written is shown the running one.
"""

from __future__ import annotations

import secrets
import sys
import threading
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pileon.errors import PileonError
from pileon.report.build import ReportOptions, ReportResult, build_report

__all__ = ["ReportJob", "ReportJobs", "report_folder_for"]


@dataclass
class ReportJob:
    id: str
    out: Path
    options: ReportOptions
    stage: str = "waiting"
    fraction: float = 0.0
    result: ReportResult | None = None
    error: str | None = None  # one line for the user; a crash says only that it failed
    finished: bool = False

    def as_json(self) -> dict[str, object]:
        return {"stage": self.stage, "fraction": round(self.fraction, 3),
                "finished": self.finished, "failed": self.error is not None}


def report_folder_for(db_path: Path, now: datetime | None = None) -> Path:
    """Where the UI writes a report: `reports/report-<UTC time>` beside the database, a new
    folder each time, so that no earlier report is ever replaced from the browser."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    base = db_path.resolve().parent / "reports" / f"report-{stamp}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


@dataclass
class ReportJobs:
    """The reports written since the server started (newest last)."""

    db_path: Path
    jobs: dict[str, ReportJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> ReportJob | None:
        return next((j for j in self.jobs.values() if not j.finished), None)

    def get(self, job_id: str) -> ReportJob | None:
        return self.jobs.get(job_id)

    def newest(self) -> ReportJob | None:
        return next(reversed(self.jobs.values()), None) if self.jobs else None

    def start(self, lang: str, folders: tuple[str, ...], pdf: bool) -> ReportJob:
        """Start writing a report, or return the one being written."""
        with self._lock:
            busy = self.running()
            if busy is not None:
                return busy
            out = report_folder_for(self.db_path)
            job = ReportJob(secrets.token_urlsafe(12), out,
                            ReportOptions(out=out, lang=lang, folders=folders, pdf=pdf))
            self.jobs[job.id] = job

        def progress(stage: str, fraction: float) -> None:
            job.stage, job.fraction = stage, fraction

        options = ReportOptions(out=out, lang=lang, folders=folders, pdf=pdf, progress=progress)
        # Not a daemon: the PDF printers it starts die with the thread that started them
        # (PR_SET_PDEATHSIG), so the thread must live until they are done.
        threading.Thread(target=self._write, args=(job, options), name=f"report-{job.id}",
                         daemon=False).start()
        return job

    def _write(self, job: ReportJob, options: ReportOptions) -> None:
        try:
            job.result = build_report(self.db_path, options)
            job.stage, job.fraction = "done", 1.0
        except PileonError as exc:
            job.error = str(exc)
        except Exception:  # the terminal gets the details; the page a calm line
            traceback.print_exc(file=sys.stderr)
            job.error = ""
        finally:
            job.finished = True
