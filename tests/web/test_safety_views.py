"""What a blurred or unvetted reply shows through the in-process app: nothing before the click."""

from __future__ import annotations

from pathlib import Path

from thread_db import thread_rows
from triaged_db import triaged
from webclient import Client

from pileon.store import connect
from pileon.store.triage import latest_run, post_ref


def test_before_analyze_the_ui_says_nothing_is_sorted_and_shows_no_text(tmp_path: Path) -> None:
    client = Client(triaged(tmp_path / "bare.db", scores=False, clusters=False)).login()
    home = client.get("/").text
    assert 'data-role="unsorted"' in home and "Nothing is sorted yet" in home
    review = client.get("/folder/review").text
    assert 'data-role="unsorted"' in review and "not sure" not in review
    for page in (home, review):
        for row in thread_rows():
            assert row["text"] not in page and row["display_name"] not in page


def test_to_review_is_blurred_with_what_it_might_be(client: Client) -> None:
    conn = connect(client.app.app.state.pileon.db_path)
    run = latest_run(conn)
    assert run is not None
    rows = conn.execute("SELECT f.post_id, f.category, p.text, p.url, a.handle FROM post_folders f"
                        " JOIN posts p ON p.platform=f.platform AND p.id=f.post_id JOIN accounts a"
                        " ON a.platform=p.platform AND a.id=p.author_id WHERE f.run_id=? AND"
                        " f.folder='review'", (run["id"],)).fetchall()
    conn.close()
    assert rows
    page = client.get("/folder/review").text
    assert "might be:" in page
    for row in rows:
        assert row["text"] not in page and row["handle"] not in page
        detail = client.get(f"/post/{post_ref('bluesky', row['post_id'])}").text
        assert row["text"] not in detail and row["handle"] not in detail
        assert row["url"] not in detail  # the address line would name the writer


def test_a_reply_added_after_the_last_triage_is_blurred_and_nameless(client: Client) -> None:
    db = client.app.app.state.pileon.db_path
    conn = connect(db)
    row = conn.execute("SELECT * FROM posts WHERE id='r01'").fetchone()
    values = dict(row)
    values.update(id="late-1", text="A reply nobody has looked at yet", author_id="late-author")
    conn.execute(f"INSERT INTO posts ({','.join(values)}) VALUES ({','.join('?' * len(values))})",
                 list(values.values()))
    conn.execute("INSERT INTO accounts (platform, id, handle, display_name, raw_sha256, seen_at)"
                 " VALUES ('bluesky', 'late-author', 'late.example', 'Late Writer', ?, ?)",
                 (row["raw_sha256"], row["seen_at"]))
    conn.commit()
    conn.close()
    page = client.get(f"/post/{post_ref('bluesky', 'late-1')}").text
    assert "Not checked yet" in page
    for secret in ("A reply nobody has looked at yet", "late.example", "Late Writer"):
        assert secret not in page
    revealed = client.post("/reveal", {"key": "bluesky/late-1"}).json()
    assert revealed["text"] == "A reply nobody has looked at yet"


def test_the_block_list_is_reviewed_before_export_and_names_only_on_request(
        client: Client) -> None:
    page = client.get("/block-list").text
    assert "Block list" in page and "no supportive reply" in page
    conn = connect(client.app.app.state.pileon.db_path)
    handles = [h for (h,) in conn.execute(
        "SELECT DISTINCT a.handle FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
        " p.id=f.post_id JOIN accounts a ON a.platform=p.platform AND a.id=p.author_id WHERE"
        " f.folder='shielded' AND f.run_id=(SELECT MAX(id) FROM triage_runs)")]
    conn.close()
    assert handles and not any(h in page for h in handles)
    shown = client.get("/block-list?show=1").text
    assert any(h in shown for h in handles)
    assert "Mentions of you" in shown  # how each account reached you, mentions counted
    assert "author.bsky.social" not in shown  # never yourself
