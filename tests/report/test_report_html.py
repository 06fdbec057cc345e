"""The HTML report through the CLI: contents, order, escaping, selection, refusals, custody."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_db import build_report_db, hostile_rows

from pileon.cli import main
from pileon.records import ABUSIVE_LABELS


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), prog_name="pileon")
    return result.exit_code, result.output


class Tags(HTMLParser):
    """Collects every start tag and its attributes, the way a browser would see the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_report_lists_shielded_and_evidence_posts_with_their_facts(report_db: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, output = run("report", str(report_db), "--out", str(out), "--tz", "Asia/Baku")
    assert code == 0, output
    html = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    digest = manifest["digest"]["value"]
    assert digest in html and digest in output
    assert "BEGIN PUBLIC KEY" in html and manifest["public_key"]["fingerprint"] in html
    # The content warning comes before any abusive text is quoted.
    assert html.index("Content warning") < html.index("satqın")
    # r04 is supportive but marked as evidence by the user: included, and says so.
    assert "Спасибо за честность" in html and "marked as evidence by the account holder" in html
    # The user's note, escaped; the deleted post marked; UTC and Baku time side by side.
    assert "reported to the platform on 26 Nov &lt;b&gt;no reply&lt;/b&gt;" in html
    assert "deleted at the source (noticed 2024-11-27 00:00:00 UTC)" in html
    assert "2024-11-25 10:10:00 UTC · 2024-11-25 14:10:00 +04 (+0400)" in html
    # Raw payload hash of a post printed beside it, and the payload bytes in the folder.
    conn = sqlite3.connect(report_db)
    sha = conn.execute("SELECT raw_sha256 FROM posts WHERE id='r10'").fetchone()[0]
    assert sha in html and (out / "raw" / f"{sha}.bin").is_file()
    # Supportive posts not marked as evidence stay out.
    assert "Çox sağ ol" not in html
    posts = [json.loads(x) for x in (out / "data/posts.jsonl").read_text("utf-8").splitlines()]
    assert {p["post_id"] for p in posts} >= {"r04", "r10", "h01", "h05"}
    assert len([p for p in posts if not p["own"]]) == manifest["selection"]["posts"]


def test_include_adds_folders(report_db: Path, tmp_path: Path) -> None:
    code, _ = run("report", str(report_db), "--out", str(tmp_path / "a"),
                  "--include", "support,review")
    assert code == 0
    html = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    assert "Çox sağ ol" in html
    code, output = run("report", str(report_db), "--out", str(tmp_path / "b"),
                       "--include", "spam")
    assert code != 0 and "'spam' is not a folder" in output


def test_hostile_text_is_inert(report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    tags = parse(html)
    names = [t for t, _ in tags]
    assert "script" not in names and "img" not in names and "h1" in names
    assert names.count("h1") == 1 and names.count("style") == 1  # only the report's own
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    # Direction overrides are shown as codes, never applied; none is left raw in the page.
    assert "\u202e" not in html and "\u202c" not in html
    assert '<span class="ctl">U+202E</span>toidi na era uoy' in html
    # The 50 KB post is there whole.
    flood = next(r for r in hostile_rows() if r["id"] == "h05")["text"]
    assert len(flood) == 51200 and flood[len("Ты предатель"):] in html  # first word marked


def test_self_contained_no_external_resources(report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    for tag, attrs in parse(html):
        assert tag not in ("link", "script", "iframe", "img", "object")
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, attrs)
    assert "@import" not in html and "url(" not in html
    assert html.count("<svg") == 4  # hours, languages, cluster sizes, account creation


def test_existing_output_folder_is_refused_then_replaced_whole_with_force(
        report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "mine.txt").write_text("the user's own file")
    code, output = run("report", str(report_db), "--out", str(out))
    assert code != 0 and "output folder already exists" in output and "--force" in output
    assert (out / "mine.txt").read_text() == "the user's own file"
    code, output = run("report", str(report_db), "--out", str(out), "--force")
    assert code == 0, output
    assert not (out / "mine.txt").exists() and (out / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_before_triage_is_refused_and_says_what_to_run(tmp_path: Path) -> None:
    db = build_report_db(tmp_path / "bare.db", scores=False, clusters=False, hostile=False,
                         triage=False, decisions=False)
    out = tmp_path / "report"
    code, output = run("report", str(db), "--out", str(out))
    assert code == 1
    assert output.startswith("Error: bare.db:") and "never sorted into folders" in output
    assert "pileon triage bare.db" in output and "Traceback" not in output
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unscored_and_uncoordinated_database_still_reports(tmp_path: Path) -> None:
    db = build_report_db(tmp_path / "t.db", scores=False, clusters=False, hostile=False)
    out = tmp_path / "report"
    code, output = run("report", str(db), "--out", str(out), "--include", "review")
    assert code == 0, output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "not labelled" in html and "No data for this chart." in html
    assert "Спасибо за честность" in html  # marked as evidence, shown without labels


def test_report_is_logged_in_custody_with_its_digest(report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    digest = json.loads((out / "manifest.json").read_text())["digest"]["value"]
    conn = sqlite3.connect(report_db)
    action, details, hashes = conn.execute(
        "SELECT action, details_json, sha256s_json FROM custody_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert action == "report" and json.loads(details)["digest"] == digest
    raw = [r["sha256"] for r in json.loads((out / "manifest.json").read_text())["raw_payloads"]]
    assert json.loads(hashes) == sorted(raw) and len(raw) == len(list((out / "raw").iterdir()))
    # The next report prints that line in its custody appendix.
    again = tmp_path / "again"
    assert run("report", str(report_db), "--out", str(again))[0] == 0
    assert digest in (again / "index.html").read_text(encoding="utf-8")


def test_bad_time_zone_and_missing_database_are_one_line_errors(report_db: Path,
                                                                tmp_path: Path,
                                                                signing_key: Path) -> None:
    code, output = run("report", str(report_db), "--out", str(tmp_path / "r"), "--tz", "Mars/Olympus")
    assert code == 1 and "unknown time zone 'Mars/Olympus'" in output
    assert "Traceback" not in output and not (tmp_path / "r").exists()
    code, output = run("report", str(tmp_path / "nope.db"), "--out", str(tmp_path / "r"))
    assert code == 1 and "no such database" in output
    assert not signing_key.exists()  # nothing was created for a report that was not written


def test_translation_is_printed_under_the_original_and_logged(report_db: Path,
                                                             tmp_path: Path) -> None:
    code, output = run("translate", str(report_db), "h01", "--lang", "en", "--by", "Ani",
                       "You are a traitor, <i>shame</i> on you")
    assert code == 0, output
    code, _ = run("translate", str(report_db), "https://bsky.app/post/h01", "--lang", "en",
                  "--by", "Ani", "You are a traitor, shame on you")
    assert code == 0
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    block = html[html.index("Դու դավաճան ես"):]
    block = block[:block.index("</article>")]
    assert "Translation into English by Ani" in block
    assert "You are a traitor, shame on you" in block and "<i>shame" not in html
    conn = sqlite3.connect(report_db)
    assert conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0] == 2  # both kept
    assert conn.execute("SELECT COUNT(*) FROM custody_log WHERE action='translation'"
                        ).fetchone()[0] == 2
    code, output = run("translate", str(report_db), "nope", "--lang", "en", "x")
    assert code == 1 and "no post with id" in output


def test_coordinated_cluster_shows_template_and_selected_members(report_db: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="clusters">'):html.index('<section id="posts">')]
    # the wave's cluster (no longer necessarily the first: clusters are ordered by concern)
    clusters = section.split('<div class="cluster">')[1:]
    # the template is one of the wave's own copies, as written (diacritics or not)
    waves = [c for c in clusters
             if re.search(r'<div class="text" dir="auto">S(ə|e)n xain v(ə|e) Soros qrant', c)]
    assert len(waves) == 1
    first = waves[0]
    # Only groups posted together are here: coordinated, or synchronised when account evidence
    # is weaker.
    assert all("· consistent with coordination</h3>" in c or "· synchronised</h3>" in c
               for c in clusters)
    assert "All 6 members with text (the group has 6 posts)" in first
    assert "distinct accounts within" in first  # the evidence, in words
    for n in range(1, 7):
        assert f"@wave0{n}.bsky.social" in first
    assert first.count('class="member">') == 6 and 'href="#post-' in first
    data = json.loads((out / "data" / "report.json").read_text(encoding="utf-8"))
    wave = [c for c in data["clusters"] if "xain" in c["template_text"]]
    assert len(wave) == 1 and len(wave[0]["members"]) == 6


def test_payload_altered_in_the_database_stops_the_report(report_db: Path,
                                                         tmp_path: Path) -> None:
    conn = sqlite3.connect(report_db)
    sha = conn.execute("SELECT raw_sha256 FROM posts WHERE id = 'h01'").fetchone()[0]
    conn.execute("UPDATE raw_payloads SET data = CAST('{\"edited\": true}' AS BLOB)"
                 " WHERE sha256 = ?", (sha,))
    conn.commit()
    conn.close()
    out = tmp_path / "report"
    code, output = run("report", str(report_db), "--out", str(out))
    assert code == 1
    assert sha in output and "does not match its SHA-256" in output
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_holds_every_abusive_post_whatever_its_folder_and_reads_as_a_third_party(
        report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", str(report_db), "--out", str(out))[0] == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    conn = sqlite3.connect(report_db)
    labelled = {(p, i, f) for p, i, f, labels in conn.execute(
        "SELECT platform, post_id, folder, labels_json FROM post_folders")
        if set(json.loads(labels)) & ABUSIVE_LABELS}
    conn.close()
    assert {f for _, _, f in labelled} - {"shielded"}, "the fixture needs abuse outside Shielded"
    posts = {(p["platform"], p["post_id"]): p for p in
             map(json.loads, (out / "data/posts.jsonl").read_text("utf-8").splitlines())}
    assert {(p, i) for p, i, _ in labelled} <= set(posts)
    assert all(posts[(p, i)]["abusive"] for p, i, _ in labelled)
    # Sections a third party needs, in order; the near-duplicate appendix after the posts.
    order = ['id="incident"', 'id="timeline"', 'id="clusters"', 'id="accounts"',
             'id="posts"', 'id="own"', 'id="method"', 'id="notice"', 'id="custody"',
             'id="appendix"']
    at = [html.index(f"<section {marker}") for marker in order]
    assert at == sorted(at)
    assert html.index("Content warning") < at[0]
    assert "Posts you" not in html and "Your decisions" not in html
    assert "I confirm my bona fide belief" in html and "Exact URLs of the content" in html


def test_custody_log_names_what_ingest_read_and_wrote(tmp_path: Path) -> None:
    source = Path(__file__).parent.parent / "fixtures" / "formats" / "bluesky_getPostThread.json"
    db = tmp_path / "t.db"
    assert run("ingest", str(db), str(source))[0] == 0
    assert run("ingest", str(db), str(source))[0] == 0  # again: nothing new is written
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT read_json, wrote_json, sha256s_json FROM custody_log"
                        " WHERE action = 'ingest' ORDER BY id").fetchall()
    stored = {r[0] for r in conn.execute("SELECT sha256 FROM raw_payloads")}
    conn.close()
    file_sha = hashlib.sha256(source.read_bytes()).hexdigest()
    (read1, wrote1, about1), (read2, wrote2, about2) = [tuple(map(json.loads, r)) for r in rows]
    assert read1 == read2 == [file_sha]
    assert set(wrote1) == stored and wrote2 == [] and set(about2) == stored


def test_leftover_temporary_folder_of_a_killed_report_is_removed_and_said(
        report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    leftover = tmp_path / ".report.tmp-ab12cd34"
    (leftover / "raw").mkdir(parents=True)
    (leftover / "index.html").write_text("half")
    mine = tmp_path / ".report.tmp-Keep-This-Mine"  # not a name pileon gives: left alone
    mine.mkdir()
    code, output = run("report", str(report_db), "--out", str(out))
    assert code == 0, output
    assert not leftover.exists() and mine.exists()
    assert "removed .report.tmp-ab12cd34" in output and "interrupted report" in output


def test_full_disk_is_one_clear_error_and_leaves_nothing(report_db: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(tiny)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        code, output = run("report", str(report_db), "--out", str(tiny / "report"))
        assert code == 1 and "Traceback" not in output
        assert output.startswith("Error:") and "no space left on the disk" in output
        assert list(tiny.iterdir()) == []
    finally:
        subprocess.run(["umount", str(tiny)], check=False)
