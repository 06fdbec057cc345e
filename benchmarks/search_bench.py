"""Search speed on the 100k-reply demo thread: FTS5 over every normalized spelling.

    python benchmarks/search_bench.py                 # builds bench-out/web/thread.db once
    python benchmarks/search_bench.py --db THREAD.db  # any triaged database (indexed in place)
    python benchmarks/search_bench.py --keep-index    # skip the (2-3 minute) index rebuild

Measures (1) building the index from scratch (`pileon.web.search.sync` over every post), and
(2) the server time of a folder page with a search, through the real app in-process (httpx
ASGITransport: routing, security, FTS5 query, count, templates; no socket), for queries in
several spellings, beside the old LIKE-over-casefold scan. Target: <= 100 ms per search page.
"Broad" queries (a short common word: tens of thousands of matches) are reported apart, with
their match counts: the cost of a search page grows with what FTS5 finds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("xain", "XAİN", "хаин", "azerbaycanli", "predatel", "davachan", "спасибо",
           "thank you", "soros qrant")
BROAD = ("sən", "se", "и")
REPEAT = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep-index", action="store_true",
                        help="time the searches on the index as it is (no rebuild)")
    args = parser.parse_args()
    db = args.db
    if db is None:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from web_bench import build

        db = ROOT / "bench-out" / "web" / "thread.db"
        if not db.exists():
            db = build(db.parent)

    import httpx

    from pileon.store import connect
    from pileon.store import search as store_search
    from pileon.web import search
    from pileon.web.app import create_app
    from pileon.web.security import Sessions

    conn = connect(db)
    posts = int(conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0])
    if not args.keep_index:
        store_search.index_reset(conn)
    started = time.perf_counter()
    indexed = search.sync(conn)
    build_s = time.perf_counter() - started

    sessions = Sessions(port=8765)
    app = create_app(db, sessions)
    results: dict[str, dict[str, float | int]] = {}

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as c:
            await c.get(f"/?token={sessions.token}")
            for query in QUERIES + BROAD:
                times = []
                for folder in ("support", "inbox", "review", "shielded"):
                    for _ in range(REPEAT):
                        t0 = time.perf_counter()
                        r = await c.get(f"/folder/{folder}", params={"q": query, "inside": "1"})
                        times.append((time.perf_counter() - t0) * 1000)
                        assert r.status_code == 200, r.status_code
                times.sort()
                expression = search.match_expression(query)
                assert expression is not None
                results[query] = {"matches": store_search.hit_count(conn, expression),
                                  "median_ms": round(statistics.median(times), 1),
                                  "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                                  "max_ms": round(times[-1], 1)}

    asyncio.run(run())
    t0 = time.perf_counter()
    conn.create_function("fold", 1, lambda t: t.casefold() if isinstance(t, str) else t)
    like = conn.execute("SELECT COUNT(*) FROM posts WHERE fold(text) LIKE '%xain%'").fetchone()[0]
    like_ms = (time.perf_counter() - t0) * 1000
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    main_results = [v for k, v in results.items() if k in QUERIES]
    report = {"posts": posts, "indexed": indexed, "index_build_s": round(build_s, 1),
              "load_after": " ".join(load),
              "all_pages_median_ms": round(statistics.median(
                  float(v["median_ms"]) for v in main_results), 1),
              "search_pages": results, "old_like_scan_ms": round(like_ms, 1),
              "old_like_scan_matches": like,
              "worst_p95_ms": max(float(v["p95_ms"]) for v in main_results),
              "broad_worst_p95_ms": max(float(results[q]["p95_ms"]) for q in BROAD)}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = ROOT / "bench-out" / "search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
