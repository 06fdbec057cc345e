"""Ingest throughput and peak memory: pileon's ingest_file beside a plain json.loads + executemany.

    python benchmarks/ingest_bench.py            # 100k replies (1,000 X search pages of 100)
    python benchmarks/ingest_bench.py --replies 20000
    python benchmarks/ingest_bench.py --big-har 400000  # one ~440 MB HAR alone: peak RSS

Writes a synthetic X API v2 conversation export (JSON lines of pages, and the same pages as one
JSON array), then measures each way of loading it in its own subprocess, so peak RSS
(getrusage ru_maxrss) belongs to that measurement alone. The same replies are also written as
X web captures (a HAR of TweetDetail answers, Zeeschuimer NDJSON) and as CSV rows.
Targets: >= 20,000 posts/s, <= 200 MB peak RSS (each of the two processes: pileon reads a large
file in a forked second process while the first writes SQLite; "posts/cpu-s" counts both).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT_ID = "2032759188149411755"
PER_PAGE = 100
WORDS = ("thank", "you", "for", "writing", "this", "сколько", "заплатили", "heç", "kim", "pul")
AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"


def page(number: int) -> dict[str, object]:
    tweets, users = [], []
    for i in range(PER_PAGE):
        n = number * PER_PAGE + i
        tweet_id, user_id = str(2032760000000000000 + n), str(1000000 + n % 20000)
        tweets.append({
            "id": tweet_id,
            "text": f"@sample_nargiz {' '.join(WORDS[(n * 7 + k) % 10] for k in range(10))} #{n}",
            "edit_history_tweet_ids": [tweet_id],
            "author_id": user_id,
            "conversation_id": ROOT_ID,
            "created_at": f"2026-03-14T{10 + n // 360000:02d}:{n // 6000 % 60:02d}:{n // 100 % 60:02d}.000Z",
            "in_reply_to_user_id": "1052883200310317419",
            "referenced_tweets": [{"type": "replied_to", "id": ROOT_ID}],
            "lang": ("en", "ru", "tr")[n % 3],
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": n % 7,
                               "quote_count": 0, "bookmark_count": 0, "impression_count": n % 500},
        })
        if i % 5 == 0:
            users.append({"id": user_id, "name": f"user {user_id}", "username": f"u{user_id}",
                          "created_at": "2026-03-12T19:40:02.000Z", "profile_image_url": AVATAR,
                          "public_metrics": {"followers_count": n % 50, "following_count": 97,
                                             "tweet_count": 41, "listed_count": 0}})
    return {"data": tweets, "includes": {"users": users},
            "meta": {"result_count": PER_PAGE, "next_token": f"t{number + 1}"}}


def web_result(tweet: dict[str, object], user: dict[str, object]) -> dict[str, object]:
    """The tweet as X's web app (GraphQL, 2026-05 layout) delivers it."""
    return {
        "__typename": "Tweet", "rest_id": tweet["id"],
        "core": {"user_results": {"result": {
            "__typename": "User", "rest_id": user["id"],
            "core": {"screen_name": user["username"], "name": user["name"],
                     "created_at": "Thu Mar 12 19:40:02 +0000 2026"},
            "avatar": {"image_url": AVATAR},
            "relationship_counts": {"followers": 3, "following": 97},
            "tweet_counts": {"tweets": 41}}}},
        "views": {"count": "12"},
        "legacy": {"full_text": tweet["text"], "created_at": "Sat Mar 14 10:20:15 +0000 2026",
                   "conversation_id_str": ROOT_ID, "in_reply_to_status_id_str": ROOT_ID,
                   "user_id_str": user["id"], "lang": tweet["lang"], "favorite_count": 1,
                   "retweet_count": 0, "reply_count": 0, "quote_count": 0, "id_str": tweet["id"]},
    }


def write_web_inputs(folder: Path, replies: int) -> tuple[Path, Path, Path]:
    har, zs, table = folder / "x.com.har", folder / "zeeschuimer.ndjson", folder / "replies.csv"
    import csv

    with har.open("w", encoding="utf-8") as h, zs.open("w", encoding="utf-8") as z, \
            table.open("w", encoding="utf-8", newline="") as c:
        rows = csv.writer(c)
        rows.writerow(["id", "text", "author_id", "created_at", "reply_to", "lang", "kind"])
        h.write('{"log": {"version": "1.2", "creator": {"name": "bench"}, "entries": [\n')
        for number in range(replies // PER_PAGE):
            body = page(number)
            users = {u["id"]: u for u in body["includes"]["users"]}  # type: ignore[index]
            results = []
            for tweet in body["data"]:  # type: ignore[attr-defined]
                user = users.get(tweet["author_id"]) or {"id": tweet["author_id"],
                                                          "username": "u", "name": "u"}
                result = web_result(tweet, user)
                results.append(result)
                z.write(json.dumps({"item_id": tweet["id"], "timestamp_collected": 1783591200123,
                                    "source_platform": "twitter.com", "data": result},
                                   ensure_ascii=False) + "\n")
                rows.writerow([tweet["id"], tweet["text"], tweet["author_id"],
                               tweet["created_at"], ROOT_ID, tweet["lang"], "reply"])
            answer = {"data": {"threaded_conversation_with_injections_v2": {"instructions": [
                {"type": "TimelineAddEntries", "entries": [
                    {"entryId": f"tweet-{r['rest_id']}", "content": {"itemContent": {
                        "tweet_results": {"result": r}}}} for r in results]}]}}}
            entry = {"startedDateTime": "2026-03-14T11:00:00.000Z",
                     "request": {"method": "GET", "headers": [{"name": "cookie", "value": "x"}],
                                 "url": f"https://x.com/i/api/graphql/q/TweetDetail?page={number}"},
                     "response": {"status": 200, "content": {
                         "mimeType": "application/json",
                         "text": json.dumps(answer, ensure_ascii=False)}}}
            h.write(("," if number else "") + json.dumps(entry, ensure_ascii=False) + "\n")
        h.write("]}}\n")
    return har, zs, table


def write_inputs(folder: Path, replies: int) -> tuple[Path, Path]:
    lines, array = folder / "replies.jsonl", folder / "replies.json"
    with lines.open("w", encoding="utf-8") as jl, array.open("w", encoding="utf-8") as ja:
        ja.write("[\n")
        for number in range(replies // PER_PAGE):
            text = json.dumps(page(number), ensure_ascii=False)
            jl.write(text + "\n")
            ja.write(("," if number else "") + text + "\n")
        ja.write("]\n")
    return lines, array


def measure_pileon(source: Path, db: Path) -> int:
    from pileon.ingest.run import ingest_file
    from pileon.store import connect

    conn = connect(db)
    result = ingest_file(conn, source, fmt="auto")
    conn.close()
    return result.counts.posts


def measure_baseline(source: Path, db: Path) -> int:
    """The floor: parse each page with json.loads and executemany its rows, nothing else."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (sha TEXT PRIMARY KEY, data BLOB)")
    conn.execute("CREATE TABLE posts (id TEXT PRIMARY KEY, text TEXT, author_id TEXT,"
                 " created_at TEXT, reply_to TEXT, root_id TEXT, lang TEXT, metrics TEXT)")
    conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, handle TEXT, created_at TEXT)")
    import hashlib

    posts = 0
    with source.open("rb") as handle:
        conn.execute("BEGIN")
        for number, line in enumerate(handle, start=1):
            body = json.loads(line)
            conn.execute("INSERT OR IGNORE INTO raw VALUES (?, ?)",
                         (hashlib.sha256(line).hexdigest(), line))
            conn.executemany(
                "INSERT OR REPLACE INTO posts VALUES (?,?,?,?,?,?,?,?)",
                [(t["id"], t["text"], t["author_id"], t["created_at"],
                  t["referenced_tweets"][0]["id"], t["conversation_id"], t["lang"],
                  json.dumps(t["public_metrics"])) for t in body["data"]],
            )
            conn.executemany("INSERT OR REPLACE INTO users VALUES (?,?,?)",
                             [(u["id"], u["username"], u["created_at"])
                              for u in body["includes"]["users"]])
            posts += len(body["data"])
            if number % 50 == 0:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
        conn.execute("COMMIT")
    conn.close()
    return posts


def child(which: str, source: Path, db: Path) -> None:
    if which == "pileon":  # importing pileon is start-up, not ingest: the clock starts after it
        import pileon.ingest.plugin  # noqa: F401
        import pileon.ingest.run  # noqa: F401
        from pileon.plugins import sources

        sources()
    started, cpu_started = time.perf_counter(), time.process_time()
    posts = (measure_pileon if which == "pileon" else measure_baseline)(source, db)
    seconds = time.perf_counter() - started
    # CPU seconds of this process and of the reader process pileon forks for a large file
    # (joined by then): robust when other jobs share the cores.
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu_started + kids.ru_utime + kids.ru_stime
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"posts": posts, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "peak_rss_mb": peak_mb, "reader_peak_rss_mb": kids.ru_maxrss / 1024}))


def run_child(which: str, source: Path, db: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", which, str(source), str(db)],
                         check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--big-har", type=int, metavar="REPLIES",
                        help="only ingest one HAR of this many replies (streaming, peak RSS)")
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "SOURCE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
          f" ({os.cpu_count()} CPUs)")
    if args.big_har:
        with tempfile.TemporaryDirectory() as tmp:
            har = write_web_inputs(Path(tmp), args.big_har)[0]
            size_mb = har.stat().st_size / 1e6
            r = run_child("pileon", har, Path(tmp) / "big.db")
        print(f"HAR of {args.big_har:,} replies, {size_mb:,.0f} MB: {r['posts'] / r['seconds']:,.0f}"
              f" posts/s, {r['posts'] / r['cpu_seconds']:,.0f} posts/cpu-s,"
              f" peak RSS {r['peak_rss_mb']:.0f} MB")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines, array = write_inputs(folder, args.replies)
        har, zs, table = write_web_inputs(folder, args.replies)
        size_mb = lines.stat().st_size / 1e6
        print(f"input: {args.replies:,} X replies in {args.replies // PER_PAGE:,} pages,"
              f" {size_mb:.1f} MB as JSON lines")
        rows = [
            ("baseline json.loads + executemany (JSONL)", run_child("baseline", lines, folder / "b.db")),
            ("pileon ingest_file (JSONL of pages)", run_child("pileon", lines, folder / "p1.db")),
            ("pileon ingest_file (JSON array of pages)", run_child("pileon", array, folder / "p2.db")),
            ("pileon ingest_file (HAR of TweetDetail)", run_child("pileon", har, folder / "p3.db")),
            ("pileon ingest_file (Zeeschuimer NDJSON)", run_child("pileon", zs, folder / "p4.db")),
            ("pileon ingest_file (CSV rows)", run_child("pileon", table, folder / "p5.db")),
        ]
    base_rate = rows[0][1]["posts"] / rows[0][1]["seconds"]
    print(f"{'measurement':44} {'posts':>8} {'seconds':>8} {'posts/s':>9} {'vs base':>8}"
          f" {'posts/cpu-s':>11} {'peak RSS':>9} {'reader RSS':>10}")
    failed = False
    for name, r in rows:
        rate = r["posts"] / r["seconds"]
        print(f"{name:44} {int(r['posts']):8d} {r['seconds']:8.2f} {rate:9,.0f}"
              f" {rate / base_rate:7.2f}x {r['posts'] / r['cpu_seconds']:11,.0f}"
              f" {r['peak_rss_mb']:6.0f} MB {r.get('reader_peak_rss_mb', 0):7.0f} MB")
        if name.startswith("pileon"):
            peak = max(r["peak_rss_mb"], r.get("reader_peak_rss_mb", 0))
            failed |= rate < 20_000 or peak > 200
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("targets: >= 20,000 posts/s, <= 200 MB peak RSS:", "FAILED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
