"""Review UI and triage speed on the 100k-reply demo thread, beside plain-SQL baselines.

    python benchmarks/web_bench.py                 # builds bench-out/web/thread.db once (demo 100k)
    python benchmarks/web_bench.py --db THREAD.db  # any triaged database

Pages: the server time of the first page of each folder (plus the first screen and the overview),
requested through the real app in-process (httpx ASGITransport: routing, security checks, SQL,
templates, no socket), beside a plain SELECT of the same 50 rows. Triage: `run_triage` over every
reply with the default rules, beside a floor that only reads the same inputs and writes as many
rows. Each part runs in its own subprocess, so its peak RSS (VmHWM) is its own.
Load (`--load`): the real server (uvicorn on 127.0.0.1, in its own process) under 1 and then 8
concurrent clients (threads of a second process, keep-alive connections) cycling through the
folders, the first screen, the overview and post pages (the Mastodon ones hold an 8 MB payload),
for --seconds each. Server and clients share the machine's cores.
Targets: first page <= 200 ms; triage of 100k posts <= 10 s; under 8 clients p95 <= 200 ms,
throughput >= 4x one client's, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("support", "inbox", "review", "shielded")
REPEAT = 7


def _peak_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a
    child of a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def build(folder: Path) -> Path:
    """The demo pile-on at 100k, coordinated, scored and triaged (tests/web/demo_db.py)."""
    sys.path.insert(0, str(ROOT / "tests" / "web"))
    import demo_db

    folder.mkdir(parents=True, exist_ok=True)
    db = demo_db.build_demo_db(folder, size="100k")
    print(f"built {db} (scores: {demo_db.SCORED_BY})", flush=True)
    return db


def pages(db: Path) -> dict[str, object]:
    import httpx

    from pileon.store import connect
    from pileon.store.triage import latest_run
    from pileon.web.app import create_app
    from pileon.web.security import Sessions

    sessions = Sessions(port=8765)
    app = create_app(db, sessions)
    conn = connect(db, create=False)
    run = latest_run(conn)
    assert run is not None, "run `pileon triage` on the database first"
    run_id = int(run["id"])

    async def timed() -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as c:
            await c.get(f"/?token={sessions.token}")
            urls = {f: f"/folder/{f}" for f in FOLDERS} | {"home": "/", "overview": "/overview"}
            for name, url in urls.items():
                times = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = await c.get(url)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, (url, response.status_code)
                out[name] = {"first_ms": times[0] * 1000,
                             "median_ms": statistics.median(times) * 1000}
        return out

    served = asyncio.run(timed())
    baseline: dict[str, float] = {}
    for folder in FOLDERS:
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            conn.execute(
                "SELECT f.*, p.text, a.handle, a.display_name FROM post_folders f JOIN posts p"
                " ON p.platform=f.platform AND p.id=f.post_id LEFT JOIN accounts a ON"
                " a.platform=p.platform AND a.id=p.author_id WHERE f.run_id=? AND f.folder=?"
                " ORDER BY f.created_at DESC LIMIT 50", (run_id, folder)).fetchall()
            times.append(time.perf_counter() - started)
        baseline[folder] = statistics.median(times) * 1000
    posts = int(conn.execute("SELECT COUNT(*) FROM post_folders WHERE run_id=?",
                             (run_id,)).fetchone()[0])
    conn.close()
    return {"posts": posts, "served": served, "select_ms": baseline, "peak_mb": _peak_mb()}


def triage(db: Path) -> dict[str, object]:
    from pileon.store import connect
    from pileon.triage.rules import load_rules
    from pileon.triage.run import run_triage

    conn = connect(db, create=False)
    started, cpu = time.perf_counter(), time.process_time()
    result = run_triage(conn, load_rules(None))
    out = {"posts": result.posts, "seconds": time.perf_counter() - started,
           "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb()}
    conn.close()
    return out


def triage_floor(db: Path) -> dict[str, object]:
    """Read what triage reads (posts, authors, newest scores) and write as many rows, no rules."""
    from pileon.store import connect

    conn = connect(db, create=False)
    started, cpu = time.perf_counter(), time.process_time()
    inputs = conn.execute(
        "SELECT p.platform, p.id, p.created_at, p.lang_reported, a.created_at,"
        " a.followers_count, a.has_avatar FROM posts p LEFT JOIN accounts a ON"
        " a.platform=p.platform AND a.id=p.author_id WHERE p.placeholder IS NULL"
        " AND p.kind != 'root'").fetchall()
    scores = {(r[0], r[1]): json.loads(r[2]) for r in conn.execute(
        "SELECT platform, post_id, scores_json FROM scores ORDER BY analyzed_at")}
    conn.execute("CREATE TEMP TABLE floor (platform TEXT, post_id TEXT, created_at TEXT,"
                 " folder TEXT, explain TEXT)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO floor VALUES (?,?,?,?,?)",
                     ((r[0], r[1], r[2], "inbox", json.dumps(scores.get((r[0], r[1]), {})))
                      for r in inputs))
    conn.execute("COMMIT")
    out = {"posts": len(inputs), "seconds": time.perf_counter() - started,
           "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb()}
    conn.close()
    return out


def serve_child(db: Path) -> None:
    """The real server, in this process; prints its link, runs until killed."""
    from pileon.web.serve import ServerThread

    running = ServerThread(db).start()
    print(json.dumps({"base": running.base, "link": running.link}), flush=True)
    running.thread.join()


def _load_urls(db: Path, count: int = 60) -> list[str]:
    """Folder pages, the first screen, the overview and post pages of each platform."""
    import sqlite3
    from urllib.parse import urlencode

    conn = sqlite3.connect(db)
    run_id = conn.execute("SELECT MAX(id) FROM triage_runs").fetchone()[0]
    posts = conn.execute(
        "SELECT platform, post_id FROM post_folders WHERE run_id=? AND folder != 'shielded'"
        " ORDER BY platform, post_id", (run_id,)).fetchall()
    conn.close()
    step = max(1, len(posts) // count)
    picked = posts[::step][:count]
    urls = [f"/folder/{f}" for f in FOLDERS] + ["/", "/overview", "/folder/inbox?page=3"]
    urls += ["/post?" + urlencode({"p": p, "id": i}) for p, i in picked]
    return urls


def load(db: Path, clients: int, seconds: float) -> dict[str, object]:
    import threading

    import httpx

    server = subprocess.Popen([sys.executable, __file__, "--child", "serve", "--db", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        with httpx.Client(base_url=info["base"]) as login:
            assert login.get(info["link"]).status_code == 303
            cookies = dict(login.cookies)
        urls = _load_urls(db)
        with httpx.Client(base_url=info["base"], cookies=cookies) as warm:
            for url in urls:  # first views (payload parsing, caches) are not the steady state
                warm.get(url, timeout=60)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def client(index: int) -> None:
            mine: list[float] = []
            with httpx.Client(base_url=info["base"], cookies=cookies) as http:
                n = index * 7
                while time.monotonic() < stop:
                    url = urls[n % len(urls)]
                    n += 1
                    started = time.perf_counter()
                    try:
                        status = http.get(url, timeout=30).status_code
                    except httpx.HTTPError as exc:
                        status = 0
                        with lock:
                            errors.append(f"{url}: {exc}")
                    mine.append(time.perf_counter() - started)
                    if status != 200 and status:
                        with lock:
                            errors.append(f"{url}: HTTP {status}")
            with lock:
                latencies.extend(mine)

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
    finally:
        server.kill()
        server.wait()
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"clients": clients, "requests": len(ordered), "seconds": elapsed,
            "per_second": len(ordered) / elapsed, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "max_ms": ordered[-1] * 1000, "errors": len(errors), "first_errors": errors[:3]}


def run_load(db: Path, seconds: float) -> int:
    one = load(db, 1, seconds)
    eight = load(db, 8, seconds)
    for r in (one, eight):
        print(f"  {r['clients']} client(s): {r['requests']} requests in {r['seconds']:.1f} s ="
              f" {r['per_second']:.1f} req/s; p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms,"
              f" max {r['max_ms']:.0f} ms; {r['errors']} errors {r['first_errors'] or ''}")
    ratio = float(eight["per_second"]) / float(one["per_second"])  # type: ignore[arg-type]
    p95 = float(eight["p95_ms"])  # type: ignore[arg-type]
    print(f"  8 clients: p95 {p95:.0f} ms (target <= 200: {'met' if p95 <= 200 else 'NOT met'});"
          f" throughput x{ratio:.2f} one client's (target >= 4: {'met' if ratio >= 4 else 'NOT met'});"
          f" errors {eight['errors']} (target 0)")
    return 0


def child(part: str, db: Path) -> None:
    if part == "serve":
        serve_child(db)
        return
    print(json.dumps({"pages": pages, "triage": triage, "floor": triage_floor}[part](db)))


def run_child(part: str, db: Path) -> dict[str, object]:
    output = subprocess.run([sys.executable, __file__, "--child", part, "--db", str(db)],
                            check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a triaged database (default: build the demo)")
    parser.add_argument("--load", action="store_true",
                        help="only the load test: 1 then 8 concurrent clients on the real server")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load run")
    parser.add_argument("--child", choices=["pages", "triage", "floor", "serve"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db)
        return 0
    db = args.db or ROOT / "bench-out" / "web" / "thread.db"
    if not db.exists():
        db = build(db.parent)
    if args.load:
        print(f"load on {db}:")
        return run_load(db, args.seconds)
    shown = run_child("pages", db)
    print(f"review UI on {db} ({shown['posts']:,} triaged replies), {REPEAT} requests each:")
    print(f"  {'page':10} {'first':>9} {'median':>9}   baseline SELECT of the same 50 rows")
    served: dict[str, dict[str, float]] = shown["served"]  # type: ignore[assignment]
    select: dict[str, float] = shown["select_ms"]  # type: ignore[assignment]
    for name, t in served.items():
        base = select.get(name)
        tail = f"   {base:7.1f} ms  (x{t['median_ms'] / base:.1f})" if base else ""
        print(f"  {name:10} {t['first_ms']:7.1f} ms {t['median_ms']:7.1f} ms{tail}")
    worst = max(served[f]["median_ms"] for f in FOLDERS)
    print(f"  slowest folder first page {worst:.1f} ms (target <= 200 ms:"
          f" {'met' if worst <= 200 else 'NOT met'}); peak RSS {shown['peak_mb']:.0f} MB")
    done = run_child("triage", db)
    floor = run_child("floor", db)
    print(f"triage of {done['posts']:,} replies: {done['seconds']:.2f} s"
          f" ({done['cpu_seconds']:.2f} s CPU), peak RSS {done['peak_mb']:.0f} MB"
          f" (target <= 10 s: {'met' if float(done['seconds']) <= 10 else 'NOT met'})")  # type: ignore[arg-type]
    print(f"  floor (read the same inputs, write as many rows): {floor['seconds']:.2f} s"
          f" ({floor['cpu_seconds']:.2f} s CPU), peak RSS {floor['peak_mb']:.0f} MB;"
          f" triage = x{float(done['seconds']) / float(floor['seconds']):.1f}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
