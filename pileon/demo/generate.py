"""Writing the demo pile-on to a folder: platform payload files plus `truth.jsonl`.

Each file is written page by page, so memory stays bounded at any size; the same (size, seed)
gives byte-identical files. truth.jsonl labels are for demos and smoke tests, never for
measuring a classifier (the generator's templates are not a test set).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pileon.demo.bluesky_payloads import BlueskyRenderer
from pileon.demo.mastodon_payloads import CONTEXT_LIMIT, MastodonRenderer
from pileon.demo.plan import DemoPlan, PlannedPost
from pileon.demo.timeline import iso_ms
from pileon.demo.x_payloads import XRenderer
from pileon.errors import ConfigError

__all__ = ["SIZES", "TRUTH_FILE", "DemoSummary", "generate", "parse_size", "summarize"]

SIZES: dict[str, int] = {"3000": 3_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
TRUTH_FILE = "truth.jsonl"
_BLUESKY_SPLIT = 5_000  # above this many thread replies, one getPostThread body per chunk

Progress = Callable[[int], None]


def parse_size(value: str | int) -> int:
    """'3000', '10k', '100k', '1m' (or any positive number of posts)."""
    text = str(value).strip().lower().replace("_", "").replace(",", "")
    if text in SIZES:
        return SIZES[text]
    multiplier = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if multiplier > 1 else text
    if not number.isdigit() or int(number) * multiplier < 100:
        raise ConfigError(f"demo size {value!r} is not a number of posts >= 100",
                          hint="use 3000, 10k, 100k or 1m")
    return int(number) * multiplier


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Truth:
    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(self, written: Iterable[tuple[PlannedPost, str]], progress: Progress | None) -> None:
        count = 0
        for post, post_id in written:
            self.handle.write(_dump({
                "platform": post.platform, "id": post_id, "kind": post.kind, "lang": post.lang,
                "script": post.script, "labels": list(post.labels), "hard": post.hard,
                "wave": post.wave, "planted": post.planted, "created_at": iso_ms(post.at_ms),
                "fresh_account": post.author.fresh,
            }) + "\n")
            count += 1
        if progress is not None and count:
            progress(count)


def _write_pages(path: Path, pages: Iterator[tuple[dict[str, Any], list[tuple[PlannedPost, str]]]],
                 truth: _Truth, progress: Progress | None) -> Path:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for body, written in pages:
            out.write(_dump(body) + "\n")
            truth.write(written, progress)
    return path


def generate(out_dir: Path, size: int | str = 3000, seed: int = 13, *,
             progress: Progress | None = None) -> list[Path]:
    """Write the demo pile-on of `size` posts into `out_dir`; return the payload files.

    `progress` is called with the number of posts each written page added. truth.jsonl is
    written beside the payloads (not returned: it is not something to ingest).
    """
    size = parse_size(size)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = DemoPlan(size, seed)
    x, bluesky, mastodon = XRenderer(plan), BlueskyRenderer(plan), MastodonRenderer(plan)
    streams = plan.streams
    files: list[Path] = []
    with (out_dir / TRUTH_FILE).open("w", encoding="utf-8", newline="\n") as truth_handle:
        truth = _Truth(truth_handle)
        for name, key in (("x_conversation_search.jsonl", "x-reply"),
                          ("x_quote_tweets.jsonl", "x-quote"), ("x_mentions.jsonl", "x-mention")):
            files.append(_write_pages(out_dir / name, x.pages(streams[key]), truth, progress))
        split = streams["bluesky-reply"].count > _BLUESKY_SPLIT
        name = "bluesky_getPostThread" + (".jsonl" if split else ".json")
        files.append(_write_pages(out_dir / name,
                                  bluesky.thread_bodies(streams["bluesky-reply"], split=split),
                                  truth, progress))
        files.append(_write_pages(out_dir / "bluesky_getQuotes.jsonl",
                                  bluesky.quote_pages(streams["bluesky-quote"]), truth, progress))
        profiles = out_dir / "bluesky_getProfiles.jsonl"
        with profiles.open("w", encoding="utf-8", newline="\n") as out:
            for body in bluesky.profile_pages():
                out.write(_dump(body) + "\n")
        files.append(profiles)
        many = streams["mastodon-reply"].count + sum(
            w.size for w in plan.waves if w.platform == "mastodon") > CONTEXT_LIMIT
        name = "mastodon_context" + (".jsonl" if many else ".json")
        files.append(_write_pages(out_dir / name,
                                  mastodon.context_bodies(streams["mastodon-reply"]),
                                  truth, progress))
    return files


@dataclass(frozen=True)
class DemoSummary:
    posts: int
    by_platform: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_lang: dict[str, int] = field(default_factory=dict)
    by_label: dict[str, int] = field(default_factory=dict)
    waves: dict[str, int] = field(default_factory=dict)
    first_at: str = ""
    last_at: str = ""


def summarize(out_dir: Path) -> DemoSummary:
    """What a generated folder holds, read back from its truth.jsonl."""
    platforms: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    waves: Counter[str] = Counter()
    first, last, posts = "", "", 0
    with (out_dir / TRUTH_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            posts += 1
            platforms[row["platform"]] += 1
            kinds[row["kind"]] += 1
            langs[row["lang"]] += 1
            labels.update(row["labels"])
            if row["wave"]:
                waves[row["wave"]] += 1
            first = min(first, row["created_at"]) if first else row["created_at"]
            last = max(last, row["created_at"])
    return DemoSummary(posts, dict(platforms.most_common()), dict(kinds.most_common()),
                       dict(langs.most_common()), dict(labels.most_common()),
                       dict(sorted(waves.items(), key=lambda kv: int(kv[0][1:]))), first, last)
