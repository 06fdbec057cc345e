"""How much a synchronised group's shared text and timing say, measured against the thread.

Text: a template is SPECIFIC when it has enough informative tokens (3+ letters, not among the
thread's most common words) and most of its character shingles are rare in the rest of the
thread; "lol", "well said" and the thread's slogans are not. Time: a group is TIGHT when far
more posts of its cluster fall inside its window than the thread's own per-minute rate at that
moment predicts (a Poisson tail, so five "lol"s in ten minutes of a busy hour are expected).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import pdtrc
from scipy.stats import poisson

from pileon.coordinate.minhash import ShingleSets, distinct
from pileon.coordinate.results import CoordinationParams

__all__ = ["EVIDENCE_RULE", "ShingleRarity", "TextEvidence", "ThreadRate", "TokenCounts", "common_tokens",
           "evidence_rule", "text_evidence"]

_MINUTE_MS = 60_000
_TOKEN_SAMPLE = 50_000  # distinct texts sampled (posts-weighted) for the thread's common words

EVIDENCE_RULE = (
    "consistent with coordination (not proof) = at least {accounts} distinct accounts posted "
    "near-copies of one template with every pair of posts within W of each other, AND the "
    "template is specific (at least {tokens} distinct tokens carrying {bits:g}+ bits: each "
    "token adds log2(posts elsewhere / posts elsewhere using it), so common words add little "
    "and words nobody else used add much) - or is weaker ({weak}+ tokens, {weak_bits:g}+ bits) "
    "and the accounts' profiles also look fresh - AND the group is "
    "tight: its cluster has far more posts inside the window than the thread's own rate at "
    "that moment predicts (Poisson tail p <= 1e-{surprise:g}) - AND the text is not spreading: "
    "a group whose text also came from at least {ratio:g} other account(s) per group account "
    "between W and {spread} min before or after it is a text people pass on (a news headline and its link, "
    "a quote), not a wave, which is over within minutes. Short stock replies and slogans "
    "typed by many people are no evidence; profile fields only add evidence when present."
)


def evidence_rule(params: CoordinationParams) -> str:
    """The rule in words, with this run's numbers."""
    return EVIDENCE_RULE.format(accounts=params.min_group_accounts,
                                tokens=params.specific_tokens, bits=params.specific_bits,
                                weak=params.weak_tokens, weak_bits=params.weak_bits,
                                surprise=params.min_time_surprise,
                                ratio=params.spread_ratio, spread=params.spread_s // 60)


@dataclass(frozen=True)
class TokenCounts:
    """Estimated posts holding each token across the thread (from a posts-weighted sample)."""

    posts: Counter[str]
    total: float


def common_tokens(key_text: Sequence[str], rows_per_key: np.ndarray) -> TokenCounts:
    """Posts per token over the thread; exact up to `_TOKEN_SAMPLE` distinct texts."""
    n = len(key_text)
    counts: Counter[str] = Counter()
    total = float(rows_per_key.sum())
    if n == 0:
        return TokenCounts(counts, 0.0)
    if n > _TOKEN_SAMPLE:
        rng = np.random.default_rng(7)
        picked = rng.choice(n, size=_TOKEN_SAMPLE, p=rows_per_key / rows_per_key.sum())
        scale = total / _TOKEN_SAMPLE
        for key in picked.tolist():
            counts.update(set(key_text[key].split()))
        for token in counts:
            counts[token] = int(counts[token] * scale)
    else:
        for key in range(n):
            weight = int(rows_per_key[key])
            for token in set(key_text[key].split()):
                counts[token] += weight
    return TokenCounts(counts, total)


@dataclass(frozen=True, slots=True)
class TextEvidence:
    tokens: int  # distinct tokens in the template
    informative: int  # of which 3+ letters and not among the thread's common words
    bits: float  # information of the template's tokens against the rest of the thread
    rare_share: float  # share of the template's shingles rare outside its cluster
    level: str  # "specific" | "weak" | "none"

    def describe(self) -> str:
        return (f"template of {self.tokens} distinct tokens carrying {self.bits:.0f} bits "
                f"against the rest of the thread, {self.informative} informative, "
                f"{self.rare_share:.0%} of its shingles rare elsewhere: {self.level}")


class ShingleRarity:
    """Posts holding each shingle of the given templates, across the thread."""

    def __init__(self, sets: ShingleSets, rows_per_key: np.ndarray, centres: np.ndarray) -> None:
        self._sets = sets
        self._rows = rows_per_key
        wanted = [sets.of(int(c)) for c in centres]
        self.hashes = distinct(np.concatenate(wanted)) if wanted else np.zeros(0, np.uint32)
        self.posts: np.ndarray = np.zeros(len(self.hashes))
        if not len(self.hashes):
            return
        # A 2^24-bit presence table of the wanted hashes' top bits: most shingles of the
        # thread are ruled out by one lookup before any binary search.
        present = np.zeros(1 << 24, dtype=bool)
        present[self.hashes >> 8] = True
        step = 1 << 16  # texts per pass: bounded temporaries at a million texts
        for lo in range(0, len(sets.sizes), step):
            hi = min(lo + step, len(sets.sizes))
            first = int(sets.starts[lo])
            last = int(sets.starts[hi - 1] + sets.sizes[hi - 1])
            part = sets.hashes[first:last]
            maybe = np.flatnonzero(present[part >> 8])
            where = np.minimum(np.searchsorted(self.hashes, part[maybe]), len(self.hashes) - 1)
            found = self.hashes[where] == part[maybe]
            weights = np.repeat(rows_per_key[lo:hi].astype(np.float64), sets.sizes[lo:hi])
            self.posts += np.bincount(where[found], weights=weights[maybe[found]],
                                      minlength=len(self.hashes))

    def outside(self, centre: int, members: np.ndarray) -> np.ndarray:
        """Posts holding each shingle of `centre`, outside the cluster's member keys."""
        mine = self._sets.of(centre)
        total = self.posts[np.searchsorted(self.hashes, mine)]
        counts = self._sets.sizes[members]
        starts = np.repeat(self._sets.starts[members], counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        inside_hashes = self._sets.hashes[starts + offsets]
        weights = np.repeat(self._rows[members], counts).astype(np.float64)
        position = np.searchsorted(mine, inside_hashes)
        position = np.minimum(position, len(mine) - 1)
        hit = mine[position] == inside_hashes
        inside = np.bincount(position[hit], weights=weights[hit], minlength=len(mine))
        return np.asarray(total - inside)


def text_evidence(key_text: Sequence[str], rows_per_key: np.ndarray, tokens: TokenCounts,
                  rarity: ShingleRarity, centre: int, members: np.ndarray,
                  params: CoordinationParams) -> TextEvidence:
    """How specific the template `key_text[centre]` is, measured outside its own cluster:
    the information of its distinct tokens, sum of log2(posts elsewhere / posts elsewhere
    holding the token), so "the" adds almost nothing and a word nobody else used adds much."""
    mine = set(key_text[centre].split())
    inside: Counter[str] = Counter()
    inside_posts = 0
    for key in members.tolist():
        weight = int(rows_per_key[key])
        inside_posts += weight
        inside.update({t: weight for t in set(key_text[key].split()) if t in mine})
    outside_total = max(tokens.total - inside_posts, 1.0)
    elsewhere = {t: max(tokens.posts[t] - inside[t], 0) for t in mine}
    # fsum: `mine` is a set, iterated in a hash-seeded order; a plain sum's last bit followed it
    bits = math.fsum(math.log2((outside_total + 1) / (n + 1)) for n in elsewhere.values())
    informative = sum(1 for t, n in elsewhere.items()
                      if len(t) >= 3 and n < params.common_token_share * outside_total)
    outside = rarity.outside(centre, members)
    # Rare: in few posts elsewhere, relative to the thread and to the cluster's own size (a
    # wave's stragglers outside its cluster must not make its own template look common).
    rare_limit = max(2.0, params.rare_shingle_share * outside_total, 0.25 * inside_posts)
    rare = float((outside <= rare_limit).mean()) if len(outside) else 0.0
    if len(mine) >= params.specific_tokens and bits >= params.specific_bits:
        level = "specific"
    elif len(mine) >= params.weak_tokens and bits >= params.weak_bits:
        level = "weak"
    else:
        level = "none"
    return TextEvidence(len(mine), informative, round(bits, 1), rare, level)


class ThreadRate:
    """The thread's own posts per minute, to say how many posts a window should hold."""

    def __init__(self, minutes: np.ndarray, minute_posts: np.ndarray) -> None:
        self.minutes = minutes
        self.cumulative = np.concatenate(([0], np.cumsum(minute_posts)))
        self.total = int(self.cumulative[-1])

    def share(self, first_ms: int, window_ms: int) -> float:
        """Share of all dated posts that fall in the minutes [first, first + W]."""
        if self.total == 0:
            return 1.0
        lo = np.searchsorted(self.minutes, first_ms // _MINUTE_MS)
        hi = np.searchsorted(self.minutes, (first_ms + window_ms) // _MINUTE_MS, side="right")
        return float(self.cumulative[hi] - self.cumulative[lo]) / self.total

    def surprise(self, first_ms: int, window_ms: int, cluster_posts: int,
                 observed: int) -> tuple[float, float]:
        """(expected posts of the cluster in the window, -log10 P(at least `observed`))."""
        expected = max(cluster_posts * self.share(first_ms, window_ms), 1e-9)
        # P(X >= observed) for X ~ Poisson(expected); scipy.special directly (the
        # distribution object's per-call overhead is most of the time at 20k groups), with
        # logsf only where the tail underflows a double.
        tail = float(pdtrc(observed - 1, expected)) if observed >= 1 else 1.0
        if tail > 1e-290:
            return expected, -math.log10(tail)
        log_tail = float(poisson.logsf(observed - 1, expected))
        return expected, -log_tail / math.log(10)
