"""X API v2 collection against a loopback server: cost shown first, --max-cost obeyed,
rate-limit headers obeyed, later rounds read only what is new, a wrong token said in one line."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

import pytest

from pileon.collect.run import CollectOptions, collect_round
from pileon.collect.x import CostBudget, page_cost
from pileon.errors import CollectError

from . import payloads as p
from .conftest import FakeClock
from .server import ReplayServer, Reply

TOKEN = "AAAA-x-bearer-" + "9f8e7d6c5b4a"
SEARCH = "/2/tweets/search/recent"
QUOTES = f"/2/tweets/{p.X_ROOT}/quote_tweets"


def search_pages() -> tuple[dict[str, Any], dict[str, Any]]:
    first = p.x_search()
    first["meta"]["next_token"] = "b26v89c19zqg8o3fpzbkk"
    extra = copy.deepcopy(first["data"][1])
    extra["id"] = "2032761000000000001"
    second = {"data": [extra], "includes": {"users": first["includes"]["users"][:1]},
              "meta": {"result_count": 1, "newest_id": extra["id"], "oldest_id": extra["id"]}}
    return first, second


def serve_x(server: ReplayServer, **root_headers: str) -> None:
    first, second = search_pages()
    server.route(f"/2/tweets/{p.X_ROOT}", Reply.json(p.x_root(), **root_headers))
    server.route(SEARCH, Reply.json(first))
    server.route(SEARCH, Reply.json(second), next_token=first["meta"]["next_token"])
    server.route(QUOTES, Reply.json(p.x_quotes()))
    server.route(QUOTES, Reply.json({"meta": {"result_count": 0}}),
                 pagination_token=p.x_quotes()["meta"]["next_token"])


@pytest.fixture
def x_options(options: CollectOptions, monkeypatch: pytest.MonkeyPatch) -> CollectOptions:
    monkeypatch.setenv("X_TOKEN", TOKEN)
    return CollectOptions(base_url=options.base_url, policy=options.policy, x_token_env="X_TOKEN")


def test_estimate_first_then_stop_before_max_cost_then_resume(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    serve_x(server)
    said: list[str] = []
    budget = CostBudget(0.25)
    stopped = collect_round(conn, p.X_URL, x_options, clock=clock, say=said.append,  # type: ignore[arg-type]
                            budget=budget)
    # 1240 replies + 97 quotes on the post, at $0.005 + $0.010 each.
    assert "about 1337 replies and quotes" in said[0] and "$20.05" in said[0]
    assert not stopped.complete
    assert budget.spent_usd <= 0.25
    assert any("stopped at $0.12 of --max-cost 0.25" in n for n in stopped.notes)
    assert [r.path for r in server.requests] == [f"/2/tweets/{p.X_ROOT}", SEARCH]
    assert server.requests[1].query["max_results"] == ["15"]  # what the budget left room for
    assert server.requests[1].query["query"] == [f"conversation_id:{p.X_ROOT}"]
    assert "referenced_tweets.id" in server.requests[1].query["expansions"][0]
    # Run again with more room: the same round carries on from the saved next_token.
    resumed = collect_round(conn, p.X_URL, x_options, clock=clock,  # type: ignore[arg-type]
                            budget=CostBudget(5.0))
    assert resumed.resumed and resumed.complete and resumed.round_id == stopped.round_id
    later = [r.path for r in server.requests[2:]]
    assert later == [SEARCH, QUOTES, QUOTES]
    assert server.requests[2].query["next_token"] == [search_pages()[0]["meta"]["next_token"]]
    ids = {r[0] for r in conn.execute("SELECT id FROM posts WHERE platform='x'")}
    assert "2032761000000000001" in ids
    assert resumed.cost_usd == pytest.approx(sum(
        a * 0.005 + b * 0.010 for a, b in (page_cost(search_pages()[1]), page_cost(p.x_quotes()),
                                           (0, 0))))


def test_a_later_round_reads_only_what_is_new(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    serve_x(server)
    collect_round(conn, p.X_URL, x_options, clock=clock)  # type: ignore[arg-type]
    asked = len(server.requests)
    again = collect_round(conn, p.X_URL, x_options, clock=clock)  # type: ignore[arg-type]
    second = server.requests[asked:]
    search = next(r for r in second if r.path == SEARCH)
    assert search.query["since_id"] == [p.x_search()["meta"]["newest_id"]]
    # The first quotes page holds only stored quotes: the older pages are not paid for again.
    assert [r.path for r in second].count(QUOTES) == 1
    assert again.new_posts == ()


def test_exhausted_rate_limit_is_waited_out(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    clock.now = float(int(clock.now))  # whole seconds, like the header
    reset = int(clock.now) + 300
    serve_x(server, **{"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0",
                       "x-rate-limit-reset": str(reset)})
    said: list[str] = []
    collect_round(conn, p.X_URL, x_options, clock=clock, say=said.append)  # type: ignore[arg-type]
    assert any(299 <= s <= 300 for s in clock.sleeps)
    assert any("rate limit reached: waiting 300 s" in m for m in said)


def test_wrong_token_is_one_line_without_the_token(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    server.route(f"/2/tweets/{p.X_ROOT}", Reply.json(
        {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
        401))
    with pytest.raises(CollectError) as caught:
        collect_round(conn, p.X_URL, x_options, clock=clock)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "refused the credentials from $X_TOKEN (HTTP 401)" in message
    assert TOKEN not in message and "\n" not in message
    custody = conn.execute("SELECT details_json FROM custody_log").fetchall()
    assert all(TOKEN not in row[0] for row in custody)


def test_missing_token_variable_fails_before_any_request(
    server: ReplayServer, conn: sqlite3.Connection, options: CollectOptions, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("X_NOT_SET", raising=False)
    with pytest.raises(CollectError, match="environment variable X_NOT_SET is empty or not set"):
        collect_round(conn, p.X_URL, CollectOptions(base_url=options.base_url,
                                                    x_token_env="X_NOT_SET"), clock=clock)  # type: ignore[arg-type]
    assert server.requests == []


def test_mentions_timeline_is_labelled_mention(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    serve_x(server)
    search = p.x_search()
    standalone = copy.deepcopy(search["data"][0])
    standalone.update(id="2032790000000000001", conversation_id="2032790000000000001")
    del standalone["referenced_tweets"]
    author = p.x_root()["data"]["author_id"]
    server.route(f"/2/users/{author}/mentions", Reply.json(
        {"data": [standalone], "includes": {"users": search["includes"]["users"]},
         "meta": {"result_count": 1, "newest_id": standalone["id"]}}))
    options = CollectOptions(base_url=x_options.base_url, policy=x_options.policy,
                             x_token_env="X_TOKEN", mentions=True)
    collect_round(conn, p.X_URL, options, clock=clock)  # type: ignore[arg-type]
    kind = conn.execute("SELECT kind FROM posts WHERE id=?", (standalone["id"],)).fetchone()[0]
    assert kind == "mention"
    asked = next(r for r in server.requests if r.path.endswith("/mentions"))
    assert asked.query["since_id"] == [p.X_ROOT]  # nothing older than the post itself


def test_missing_post_is_one_clear_error_and_a_deleted_parent_a_kept_placeholder(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    gone = {"value": "1790000000000000000", "detail": "Could not find tweet with id: [1790000000000000000].",
            "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
            "resource_id": "1790000000000000000",
            "type": "https://api.twitter.com/2/problems/resource-not-found"}
    server.route("/2/tweets/1790000000000000000", Reply.json({"errors": [gone]}))
    with pytest.raises(CollectError, match="X has no such post 1790000000000000000"):
        collect_round(conn, "https://x.com/alice/status/1790000000000000000", x_options,
                      clock=clock)  # type: ignore[arg-type]
    serve_x(server)
    collect_round(conn, p.X_URL, x_options, clock=clock)  # type: ignore[arg-type]
    # The search page names a deleted parent in errors[]: kept as a placeholder, marked deleted.
    row = conn.execute("SELECT placeholder, deleted_at_source FROM posts WHERE id=?",
                       ("2032766679825524794",)).fetchone()
    assert row["placeholder"] == "not_found" and row["deleted_at_source"] is not None


NESTED = "2032763734600623268"  # a reply to X_ROOT, itself replied to twice (one deeper)


def test_collecting_a_post_that_is_itself_a_reply(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    search = p.x_search()
    post = next(t for t in search["data"] if t["id"] == NESTED)
    user = next(u for u in search["includes"]["users"] if u["id"] == post["author_id"])
    server.route(f"/2/tweets/{NESTED}", Reply.json({"data": post, "includes": {"users": [user]}}))
    server.route(SEARCH, Reply.json(search))
    quotes = f"/2/tweets/{NESTED}/quote_tweets"
    quoting = copy.deepcopy(search["data"][-1])  # a quote of the post that also replies to X_ROOT
    quoting.update(id="2032799000000000001",
                   referenced_tweets=[{"type": "replied_to", "id": p.X_ROOT},
                                      {"type": "quoted", "id": NESTED}])
    server.route(quotes, Reply.json({"data": [quoting], "includes": search["includes"],
                                     "meta": {"result_count": 1}}))
    said: list[str] = []
    result = collect_round(conn, f"https://x.com/someone/status/{NESTED}", x_options,
                           clock=clock, say=said.append)  # type: ignore[arg-type]
    asked = next(r for r in server.requests if r.path == SEARCH)
    assert asked.query["query"] == [f"conversation_id:{p.X_ROOT}"]  # the thread's real id
    assert any(f"reply in conversation {p.X_ROOT}" in m for m in said)
    # only what is below the post (and the quote of it) reached it: not the post itself, not
    # the post above it, not the other branches of the conversation
    below = {"2032781545229662642", "2032783914234992406"}
    assert {pid for _, pid in result.new_posts} == below | {quoting["id"]}
    assert result.new_by_kind == {"reply": 2, "quote": 1}
    kinds = dict(conn.execute("SELECT id, kind FROM posts").fetchall())
    assert kinds[NESTED] == "reply" and kinds[quoting["id"]] == "quote"
    assert {"2032770885666688002", "2032761087149603664"} <= set(kinds)  # stored, as context
    # a second round (since_id) keeps to the same conversation
    collect_round(conn, f"https://x.com/someone/status/{NESTED}", x_options, clock=clock)  # type: ignore[arg-type]
    again = [r for r in server.requests if r.path == SEARCH][-1]
    assert again.query["query"] == [f"conversation_id:{p.X_ROOT}"]


def test_collecting_the_first_post_of_a_thread_counts_every_reply(
    server: ReplayServer, conn: sqlite3.Connection, x_options: CollectOptions, clock: FakeClock
) -> None:
    serve_x(server)
    result = collect_round(conn, p.X_URL, x_options, clock=clock)  # type: ignore[arg-type]
    replies = {t["id"] for t in search_pages()[0]["data"]} | {"2032761000000000001"}
    assert replies <= {pid for _, pid in result.new_posts}
    assert result.new_by_kind["reply"] == len(replies)
