"""Planted threads written as X API v2 conversation-search pages (the real format), so the
CLI tests go through `pileon ingest` like a user's export would."""

from __future__ import annotations

import json
from pathlib import Path

from pileon.records import Account, Post

DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"


def _iso(moment: object) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # type: ignore[attr-defined]


def write_x_pages(posts: list[Post], accounts: dict[str, Account], folder: Path,
                  page_size: int = 500) -> list[Path]:
    """Posts as X v2 `search/all` pages with users in `includes`; ids made numeric."""
    number = {p.id: str(10**18 + n) for n, p in enumerate(posts)}
    user_number = {a.id: str(2 * 10**18 + n) for n, a in enumerate(accounts.values())}
    root = next(p for p in posts if p.kind == "root")
    paths = []
    for start in range(0, len(posts), page_size):
        page = posts[start:start + page_size]
        data, users = [], {}
        for post in page:
            tweet: dict[str, object] = {
                "id": number[post.id], "text": post.text, "edit_history_tweet_ids": [number[post.id]],
                "conversation_id": number[root.id], "lang": "und",
            }
            if post.author_id is not None:
                tweet["author_id"] = user_number[post.author_id]
                account = accounts[f"x:{post.author_id}"]
                user: dict[str, object] = {"id": user_number[post.author_id],
                                           "name": account.handle, "username": account.handle}
                if account.created_at is not None:
                    user["created_at"] = _iso(account.created_at)
                if account.has_avatar is not None:
                    user["profile_image_url"] = (
                        f"https://pbs.twimg.com/profile_images/{user_number[post.author_id]}/a.jpg"
                        if account.has_avatar else DEFAULT_AVATAR)
                if account.followers_count is not None:
                    user["public_metrics"] = {"followers_count": account.followers_count,
                                              "following_count": 10,
                                              "tweet_count": account.posts_count or 0,
                                              "listed_count": 0}
                users[user["id"]] = user
            if post.created_at is not None:
                tweet["created_at"] = _iso(post.created_at)
            if post.reply_to is not None and post.reply_to in number:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": number[post.reply_to]}]
            data.append(tweet)
        body = {"data": data, "includes": {"users": list(users.values())},
                "meta": {"result_count": len(data)}}
        path = folder / f"x_page_{start // page_size:03d}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
