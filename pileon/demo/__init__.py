"""The demo pile-on: an invented viral thread written as real X, Bluesky and Mastodon payloads.

`generate(out_dir, size, seed)` writes it; the texts live in pileon/demo/data.
"""

from pileon.demo.generate import SIZES, TRUTH_FILE, DemoSummary, generate, parse_size, summarize

__all__ = ["SIZES", "TRUTH_FILE", "DemoSummary", "generate", "parse_size", "summarize"]
