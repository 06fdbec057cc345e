"""What the author sees: support first, abuse shielded and never leaked, decisions and undo."""

from __future__ import annotations

import json
from pathlib import Path

from thread_db import thread_rows
from triaged_db import triaged
from webclient import Client

from pileon.store import connect

TEXT = {row["id"]: row["text"] for row in thread_rows()}
SHIELDED_TEXTS = ["We know where you live", "you are an idiot", "Ты предатель",
                  "Soros qrant", "Your mother"]
SHIELDED_NAMES = ["Idiot hunter", "&lt;b&gt;bold&lt;/b&gt; name"]


def test_first_screen_shows_support_and_calm_counts_only(client: Client) -> None:
    page = client.get("/").text
    assert "What people said to you" in page
    assert "9 people wrote to stand by you, in 5 languages." in page  # one sentence (r15, r18 wait in To review: their words do not confirm support)
    for pid in ("r01", "r02", "r03", "r04", "r05"):
        assert TEXT[pid].replace("'", "&#39;") in page
    # no abuse count anywhere on the first screen: not in the header, not in the calm links
    assert "Replies that read as abuse are kept away from you" in page
    assert '<span class="count">' not in page
    shielded = connect(client.app.app.state.pileon.db_path).execute(
        "SELECT COUNT(*) FROM post_folders WHERE folder='shielded'").fetchone()[0]
    assert shielded == 11 and "11 replies" not in page and "11 repl" not in page
    for text in SHIELDED_TEXTS:
        assert text not in page


def test_shielded_folder_names_the_category_but_never_the_text_or_name(client: Client) -> None:
    page = client.get("/folder/shielded").text
    assert "Content warning: threat" in page
    assert "Content warning: calls you a traitor, paid or fake" in page
    for text in SHIELDED_TEXTS + SHIELDED_NAMES:
        assert text not in page
    assert page.count('class="reveal"') == 11


def test_search_in_a_blurred_folder_tells_nothing_until_the_user_asks(client: Client) -> None:
    page = client.get("/folder/shielded?q=IDIOT").text
    assert page.count('class="reveal"') == 0 and 'data-role="search-withheld"' in page
    assert '<span class="count">0</span>' in page  # not even how many replies match
    # the answer does not depend on the hidden text at all
    assert page == client.get("/folder/shielded?q=zzzznothing").text.replace(
        "zzzznothing", "IDIOT")
    asked = client.get("/folder/shielded?q=IDIOT&inside=1").text  # "also search hidden text"
    assert asked.count('class="reveal"') == 1
    assert "you are an idiot" not in asked and "Idiot hunter" not in asked
    assert "you are an idiot" not in page and "Idiot hunter" not in page
    assert 'value="IDIOT"' in page  # only what the user typed
    client.post("/settings", {"unblur_all": "1", "confirm": "yes"})
    page = client.get("/folder/shielded?q=IDIOT").text
    assert "you are an idiot" in page.lower() and 'data-role="search-withheld"' not in page


def test_search_is_case_insensitive_beyond_ascii(client: Client) -> None:
    page = client.get("/folder/support?q=СПАСИБО").text
    assert TEXT["r04"] in page and TEXT["r27"] in page


def test_post_page_of_a_shielded_reply_hides_text_name_and_raw(client: Client) -> None:
    page = client.get("/post?p=bluesky&id=r19").text
    assert "Content warning: insult" in page
    for text in ("you are an idiot", "Idiot hunter", "alert(&#39;shielded"):
        assert text not in page
    assert "Raw payload SHA-256" in page
    revealed = client.post("/reveal", {"key": "bluesky/r19", "raw": "1"}).json()
    assert revealed["text"] == TEXT["r19"]
    assert revealed["author"].startswith("Idiot hunter")
    assert {"text": "idiot", "category": "insult"} in revealed["segments"]
    assert json.loads(revealed["raw"])["id"] == "r19"


def test_post_page_shows_context_signals_evidence_and_hash(client: Client) -> None:
    page = client.get("/post?p=bluesky&id=r11").text  # shielded, so nothing of its text
    assert "What I saw in the war" in page  # the author's own post, as context
    page = client.get("/post?p=bluesky&id=r23").text
    assert "new account" in page and "no profile picture" in page
    conn = connect(client.app.app.state.pileon.db_path)
    sha = conn.execute("SELECT raw_sha256 FROM posts WHERE id='r01'").fetchone()[0]
    conn.close()
    page = client.get("/post?p=bluesky&id=r01").text
    assert sha in page and "It took real courage" in page


def test_evidence_is_highlighted_on_visible_posts(ui_db: Path) -> None:
    client = Client(ui_db).login()
    client.post("/actions", {"key": "bluesky/r09", "action": "mark_not_abuse", "back": "/"})
    page = client.get("/post?p=bluesky&id=r09").text
    assert '<mark title="calls you a traitor, paid or fake">xain</mark>' in page


def test_unblur_everything_is_off_and_asks_first(client: Client) -> None:
    assert "We know where you live" not in client.get("/folder/shielded").text
    first = client.post("/settings", {"unblur_all": "1"})
    assert first.status_code == 200 and "Are you sure?" in first.text
    assert "We know where you live" not in client.get("/folder/shielded").text
    client.post("/settings", {"unblur_all": "1", "confirm": "yes"})
    assert "We know where you live" in client.get("/folder/shielded").text
    client.post("/settings", {"unblur_all": "0"})
    assert "We know where you live" not in client.get("/folder/shielded").text


def test_bulk_move_of_a_whole_cluster_and_undo(client: Client) -> None:
    response = client.post("/actions", {"scope": "cluster", "cluster": "7",
                                        "action": "move:review", "back": "/overview"})
    assert response.status_code == 303 and "n=6" in response.headers["location"]
    page = client.get("/folder/review?cluster=7").text
    assert page.count('class="card folder-review"') == 6
    batch = response.headers["location"].split("done=")[1].split("&")[0]
    client.post("/undo", {"batch": batch, "back": "/"})
    assert client.get("/folder/review?cluster=7").text.count('class="card folder-review"') == 0


def test_bulk_by_filter_moves_every_match(client: Client) -> None:
    response = client.post("/actions", {"scope": "filter", "folder": "support", "lang": "ru",
                                        "action": "evidence", "back": "/folder/support"})
    assert "n=2" in response.headers["location"]
    notice = client.get(response.headers["location"]).text
    assert "2 replies added to the evidence report." in notice and "Undo" in notice


def test_selected_replies_move_and_show_as_my_decision(client: Client) -> None:
    client.post("/actions", {"key": ["bluesky/r07", "bluesky/r08"], "action": "move:support",
                             "back": "/folder/inbox"})
    page = client.get("/folder/support").text
    assert TEXT["r07"] in page and ">decided<" in page


def test_overview_has_counts_chart_languages_and_clusters(client: Client) -> None:
    page = client.get("/overview").text
    assert '<svg class="timeline"' in page and "<rect" in page
    assert "Coordinated groups" in page and "6 replies" in page
    assert "Soros" not in page  # the cluster is mostly abuse: its template stays hidden
    assert "hy" in page and "az" in page


def test_paging_is_server_side(tmp_path: Path) -> None:
    db = triaged(tmp_path / "t.db")
    client = Client(db).login()
    page = client.get("/folder/support").text
    assert "Page 1 of" not in page  # 11 replies fit on one page


def test_empty_and_unanalysed_databases_say_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    connect(empty).close()
    assert "Nothing here yet" in Client(empty).login().get("/").text
    bare = triaged(tmp_path / "bare.db", scores=False, clusters=False)
    page = Client(bare).login().get("/").text
    assert "have not been analysed yet" in page and "pileon analyze" in page


def test_language_follows_the_browser_then_the_users_choice(client: Client) -> None:
    assert "Ce que les gens vous ont dit" in client.get(
        "/", headers={"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"}).text
    client.post("/lang", {"lang": "hy", "back": "/overview"})
    page = client.get("/", headers={"accept-language": "fr"}).text
    assert 'lang="hy"' in page and "Ինչ են Ձեզ գրել մարդիկ" in page
