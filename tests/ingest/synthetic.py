"""A large X API v2 conversation export, generated: JSON lines, one search page per line."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["ROOT_ID", "write_x_pages"]

ROOT_ID = "2032759188149411755"
_WORDS = ("thank", "you", "for", "writing", "this", "сколько", "заплатили", "heç", "kim", "pul")


def write_x_pages(path: Path, pages: int, per_page: int) -> int:
    """Write `pages` search pages of `per_page` replies each; returns the number of replies."""
    with path.open("w", encoding="utf-8") as out:
        for page in range(pages):
            tweets, users = [], []
            for i in range(per_page):
                n = page * per_page + i
                tweet_id = str(2032760000000000000 + n)
                user_id = str(1000000 + n % 5000)
                tweets.append({
                    "id": tweet_id,
                    "text": f"@sample_nargiz {' '.join(_WORDS[(n + k) % 10] for k in range(8))} {n}",
                    "edit_history_tweet_ids": [tweet_id],
                    "author_id": user_id,
                    "conversation_id": ROOT_ID,
                    "created_at": f"2026-03-14T{10 + n // 360000 % 10}:{n // 6000 % 60:02d}:{n // 100 % 60:02d}.000Z",
                    "in_reply_to_user_id": "1052883200310317419",
                    "referenced_tweets": [{"type": "replied_to", "id": ROOT_ID}],
                    "lang": "en",
                    "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": n % 7,
                                       "quote_count": 0, "bookmark_count": 0,
                                       "impression_count": n % 500},
                })
                if i % 10 == 0:
                    users.append({
                        "id": user_id, "name": f"user {user_id}", "username": f"sample_{user_id}",
                        "created_at": "2026-03-12T19:40:02.000Z",
                        "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
                        "public_metrics": {"followers_count": n % 50, "following_count": 97,
                                           "tweet_count": 41, "listed_count": 0},
                    })
            body = {"data": tweets, "includes": {"users": users},
                    "meta": {"result_count": per_page, "next_token": f"token{page + 1}"}}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    return pages * per_page
