"""Live collection throughput: pileon collect beside a bare httpx + json.loads + executemany loop.

    python benchmarks/collect_bench.py                # 20k replies (200 X search pages of 100)
    python benchmarks/collect_bench.py --replies 5000

A loopback server answers X API v2 recent-search pages (next_token paging). pileon archives every
response (bytes, SHA-256, headers), parses it with the ingest adapter and stores posts, accounts
and versions; the baseline only downloads, decodes and inserts (id, text). Both without the
polite one-second pace, so the figure is pileon's own cost per post.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from pileon.collect.http import RetryPolicy
from pileon.collect.run import CollectOptions, collect_round
from pileon.collect.x import CostBudget
from pileon.store import connect

ROOT = "2032759188149411755"
PER_PAGE = 100
WORDS = ("thank", "you", "for", "writing", "this", "сколько", "заплатили", "heç", "kim", "pul")


def search_page(number: int, pages: int) -> bytes:
    tweets, users = [], []
    for i in range(PER_PAGE):
        n = number * PER_PAGE + i
        tweet_id, user_id = str(2032760000000000000 + n), str(1000000 + n % 5000)
        tweets.append({"id": tweet_id, "text": " ".join(WORDS[(n + k) % 10] for k in range(9)),
                       "author_id": user_id, "conversation_id": ROOT,
                       "created_at": "2026-03-14T10:00:00.000Z", "lang": "ru",
                       "referenced_tweets": [{"type": "replied_to", "id": ROOT}],
                       "public_metrics": {"reply_count": 0, "like_count": n % 7}})
        users.append({"id": user_id, "username": f"user{user_id}", "name": f"User {user_id}",
                      "created_at": "2026-03-12T08:00:00.000Z",
                      "public_metrics": {"followers_count": n % 50}})
    meta: dict[str, object] = {"result_count": PER_PAGE, "newest_id": tweets[0]["id"]}
    if number + 1 < pages:
        meta["next_token"] = f"page{number + 1}"
    return json.dumps({"data": tweets, "includes": {"users": users}, "meta": meta}).encode()


def serve(pages: int) -> ThreadingHTTPServer:
    bodies = [search_page(n, pages) for n in range(pages)]
    root = json.dumps({"data": {"id": ROOT, "text": "root", "author_id": "1", "conversation_id":
                                ROOT, "public_metrics": {"reply_count": pages * PER_PAGE}},
                       "includes": {"users": [{"id": "1", "username": "nargiz", "name": "N"}]}}
                      ).encode()
    empty = b'{"meta": {"result_count": 0}}'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in two writes: without this, Nagle + delayed ACK add 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            token = parse_qs(parts.query).get("next_token", ["page0"])[0]
            if parts.path.endswith("/search/recent"):
                body = bodies[int(token.removeprefix("page"))]
            elif parts.path.endswith("/quote_tweets"):
                body = empty
            else:
                body = root
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def baseline(base: str, db: Path) -> int:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")  # the same durability settings as pileon's store
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE posts (id TEXT PRIMARY KEY, text TEXT)")
    count, token = 0, None
    with httpx.Client() as client:
        while True:
            params = {"query": f"conversation_id:{ROOT}", **({"next_token": token} if token else {})}
            page = json.loads(client.get(f"{base}/2/tweets/search/recent", params=params).content)
            rows = [(t["id"], t["text"]) for t in page.get("data", [])]
            conn.executemany("INSERT OR IGNORE INTO posts VALUES (?, ?)", rows)
            conn.commit()
            count += len(rows)
            token = page["meta"].get("next_token")
            if not token:
                return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20000)
    args = parser.parse_args()
    pages = max(1, args.replies // PER_PAGE)
    server = serve(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    os.environ["PILEON_BENCH_X_TOKEN"] = "bench-token"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        posts = baseline(base, Path(tmp) / "baseline.db")
        base_seconds = time.perf_counter() - started
        conn = connect(Path(tmp) / "thread.db")
        options = CollectOptions(base_url=base, x_token_env="PILEON_BENCH_X_TOKEN",
                                 policy=RetryPolicy(min_interval=0.0))
        started = time.perf_counter()
        result = collect_round(conn, f"https://x.com/nargiz/status/{ROOT}", options,
                               budget=CostBudget(1e9))
        ours = time.perf_counter() - started
        stored = conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
        conn.close()
    server.shutdown()
    print(f"replies served            {posts:,} in {pages} pages")
    print(f"baseline (get+loads+insert) {posts / base_seconds:10,.0f} posts/s  {base_seconds:6.2f} s")
    print(f"pileon collect (archive+parse+store) {stored / ours:10,.0f} posts/s  {ours:6.2f} s"
          f"  ({result.requests} requests)")
    print(f"ratio pileon / baseline   {base_seconds / ours:.2f}x the baseline's speed")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (both, one process) {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
