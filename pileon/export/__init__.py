"""Exports: a selection of triaged posts as CSV/JSONL, Mastodon block and mute lists, a Bluesky
moderation list, X account ids, and the raw payloads as WARC/WACZ. One module per format.
"""
