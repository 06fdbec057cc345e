"""Live collection: clients for Bluesky, Mastodon and X that archive every response and feed
the ingest adapters, and a watch loop for a pile-on that is still growing."""
