"""A campaign folder: its manifest (campaign.json), the thread databases it holds and where every
Parquet partition lives. Plain paths and JSON only, so every module can use it.

    DIR/campaign.json                         threads, in the order they were added
    DIR/threads/<thread>.db                   each thread as a pileon database (a migrated copy)
    DIR/parquet/posts/thread=T/day=D/part.parquet
    DIR/parquet/scores/thread=T/day=D/part.parquet
    DIR/parquet/{folders,clusters,cluster_members,groups,accounts,edges}/thread=T/part.parquet
    DIR/parquet/cross/{accounts,waves,templates}.parquet     across targets
    DIR/summary.json, DIR/summary.html, DIR/campaign.sqlite  (Datasette: `datasette DIR/campaign.sqlite`)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pileon.errors import ConfigError, StoreError

__all__ = ["MANIFEST", "TABLES", "Campaign", "Thread", "atomic_write_text", "thread_name"]

MANIFEST = "campaign.json"
FORMAT = 1
#: Per-thread tables the run writes (posts and scores per day as well).
TABLES: tuple[str, ...] = ("posts", "scores", "folders", "clusters", "cluster_members", "groups",
                           "accounts", "edges")
_SAFE = re.compile(r"[^a-z0-9_-]+")


def thread_name(stem: str, taken: set[str]) -> str:
    """A partition-safe name from a file stem: lowercase [a-z0-9_-], unique in the campaign."""
    base = _SAFE.sub("-", stem.lower()).strip("-")[:40] or "thread"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Thread:
    name: str
    source: str  # the path given to `campaign add`, resolved
    kind: str  # "db" (a pileon database, copied) | "file" (ingested into a new database)
    fingerprint: str  # root post "platform:id", else a hash of the post keys / file bytes
    added_at: str
    posts: int


@dataclass(frozen=True)
class Campaign:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    def thread_db(self, name: str) -> Path:
        return self.root / "threads" / f"{name}.db"

    def table_dir(self, table: str, thread: str | None = None) -> Path:
        base = self.root / "parquet" / table
        return base if thread is None else base / f"thread={thread}"

    def partition(self, table: str, thread: str, day: str | None = None) -> Path:
        folder = self.table_dir(table, thread)
        return (folder if day is None else folder / f"day={day}") / "part.parquet"

    def cross(self, table: str) -> Path:
        return self.root / "parquet" / "cross" / f"{table}.parquet"

    @classmethod
    def init(cls, root: Path) -> Campaign:
        campaign = cls(root)
        if campaign.manifest.exists():
            raise ConfigError("already a campaign folder", path=str(campaign.manifest),
                              hint=f"add threads with `pileon campaign add {root} THREAD...`")
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ConfigError("not an empty folder", path=str(root),
                              hint="give a new or empty folder for the campaign")
        (root / "threads").mkdir(parents=True, exist_ok=True)
        campaign.save([])
        return campaign

    @classmethod
    def open(cls, root: Path) -> Campaign:
        campaign = cls(root)
        if not campaign.manifest.is_file():
            raise ConfigError("not a campaign folder (no campaign.json)", path=str(root),
                              hint=f"create one with `pileon campaign init {root}`")
        campaign.threads()  # validates the manifest
        return campaign

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"campaign manifest unreadable ({exc})", path=str(self.manifest)
                             ) from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT \
                or not isinstance(data.get("threads"), list):
            raise StoreError("campaign manifest is not one this pileon writes",
                             path=str(self.manifest))
        return data

    def threads(self) -> list[Thread]:
        out = []
        for i, item in enumerate(self._read()["threads"]):
            try:
                out.append(Thread(**item))
            except TypeError as exc:
                raise StoreError(f"thread record {i + 1} is malformed ({exc})",
                                 path=str(self.manifest)) from exc
        return out

    def save(self, threads: list[Thread]) -> None:
        atomic_write_text(self.manifest, json.dumps(
            {"format": FORMAT, "threads": [asdict(t) for t in threads]}, indent=2,
            ensure_ascii=False) + "\n")
