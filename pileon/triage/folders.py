"""Deciding a post's folder from its scores, its author's signals and its cluster: pure functions.

`choose_folder` looks at one post; `apply_copy_fate` then gives every group of copies (a
coordination cluster, exact normalized-text twins) the strictest folder any copy earned. Both
return a FolderChoice saying which rule decided and with which numbers, for `--explain`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from pileon.coordinate.signals import profile_signals
from pileon.records import ABUSIVE_LABELS, LABELS
from pileon.triage.cues import TextCues, read_cues
from pileon.triage.rules import Rules

__all__ = ["FOLDERS", "SEVERE_LABELS", "SOFT_RULES", "STRICTNESS", "AccountFacts", "CopyGroup",
           "FolderChoice", "PostFacts", "account_signals", "apply_copy_fate", "choose_folder",
           "consensus_choice", "copy_key"]

#: The four folders, in the order the UI shows them.
FOLDERS: tuple[str, ...] = ("support", "inbox", "review", "shielded")
#: How strict a folder is: copies share the strictest one any copy earns.
STRICTNESS: dict[str, int] = {"support": 0, "inbox": 1, "review": 2, "shielded": 3}
#: Categories whose faintest trace keeps a reply out of the Inbox's clear text.
SEVERE_LABELS: frozenset[str] = frozenset({"threat", "sexual_harassment", "identity_attack"})
#: Rules that send a reply to To review on the strength of one score, which for exact copies of
#: one text is noise of its mentions and links: such copies are read together instead.
SOFT_RULES: frozenset[str] = frozenset({"supportive_with_doubt", "shield_but_supportive",
                                        "review_threshold", "abuse_trace"})
_ABUSE_ORDER = [label for label in LABELS if label in ABUSIVE_LABELS]
_MENTION_OR_URL = re.compile(r"(?:^|(?<=\s))[@＠][\w.@-]+|https?://\S+|www\.\S+")


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the store knows of a reply's author; None means the platform did not say."""

    created_at: datetime | None
    followers_count: int | None
    has_avatar: bool | None
    coordinated: bool = False  # flagged by `pileon coordination`


@dataclass(frozen=True, slots=True)
class PostFacts:
    platform: str
    post_id: str
    created_at: datetime | None
    lang: str | None
    labels: tuple[str, ...]
    scores: Mapping[str, float] | None  # None: not analysed yet
    signals: tuple[str, ...] = ()
    cluster_id: str | None = None
    text: str | None = None  # for the accusation rule; None: that rule is skipped
    coordinated_member: bool = False  # in a coordinated group of `pileon coordination`


@dataclass(frozen=True, slots=True)
class FolderChoice:
    folder: str
    rule: str
    category: str | None
    explain: Mapping[str, Any] = field(default_factory=dict)


#: The shared profile signals (pileon/coordinate/signals.py) a reply's facts can show.
THROWAWAY_SIGNALS: tuple[str, ...] = ("new_account", "no_avatar", "few_followers")


def account_signals(account: AccountFacts | None, posted_at: datetime | None,
                    rules: Rules) -> tuple[str, ...]:
    """The Block-Party-style signals an author shows at this post, by the one definition the
    coordination stage uses too; unknown fields give no signal."""
    if account is None:
        return ()
    shown = profile_signals(rules.accounts.signals, posted_at=posted_at,
                            created_at=account.created_at, has_avatar=account.has_avatar,
                            followers=account.followers_count)
    found = [name for name in THROWAWAY_SIGNALS if shown[name]]
    if account.coordinated:
        found.append("coordinated")
    return tuple(found)


def _is_throwaway(signals: Sequence[str], rules: Rules) -> bool:
    counted = [s for s in signals if s in THROWAWAY_SIGNALS]
    return len(counted) >= rules.accounts.signals_needed


def choose_folder(post: PostFacts, rules: Rules) -> FolderChoice:
    """The folder one post goes to, before looking at its copies.

    Asymmetric on purpose: Support must be earned (supportive, no abuse trace, not part of a
    coordinated group, not an accusation dressed as counter-speech), and Inbox, shown in clear,
    holds only replies without any abuse signal; everything in between waits in To review.
    """
    if post.scores is None:
        return FolderChoice("review", "not_analysed", None,
                            {"why": "no classifier scores yet: run `pileon analyze`"})
    scores = post.scores
    throwaway = _is_throwaway(post.signals, rules)
    discount = rules.accounts.shield_discount if throwaway else 0.0
    supportive = float(scores.get("supportive", 0.0))
    # One pass over the abusive categories (this runs for every reply: keep it lean).
    abuse: dict[str, float] = {}
    over_shield: list[tuple[float, int, str]] = []
    over_review: list[tuple[float, int, str]] = []
    for order, label in enumerate(_ABUSE_ORDER):
        value = float(scores.get(label, 0.0))
        if value >= 0.05:
            abuse[label] = round(value, 3)
        if value >= rules.shield[label] - discount:
            over_shield.append((value - rules.shield[label], -order, label))
        elif value >= rules.review[label]:
            over_review.append((value - rules.review[label], -order, label))
    explain: dict[str, Any] = {
        "supportive": round(supportive, 3),
        "abuse": abuse,
        "signals": list(post.signals),
        "throwaway_account": throwaway,
        "shield_discount": discount,
    }
    cues = _cues(post, rules)
    if cues is not None and (cues.support or cues.contradicts_support):
        explain["words"] = {k: v for k, v in (
            ("support", cues.support), ("mockery", cues.mockery), ("contempt", cues.contempt),
            ("accusation", cues.accusation)) if v}
    if over_shield:
        top = max(over_shield)[2]  # furthest over its threshold; ties: the earlier category
        explain["threshold"] = round(rules.shield[top] - discount, 3)
        if supportive >= rules.support_protect:
            return FolderChoice("review", "shield_but_supportive", top, explain)
        if rules.support_cue_protects and cues is not None and cues.support \
                and not (cues.accusation_any or cues.mockery):
            explain["why"] = "its words say support: the classifier alone does not hide it"
            return FolderChoice("review", "shield_but_supportive", top, explain)
        rule = "shield_threshold_throwaway" if discount and scores.get(top, 0.0) < \
            rules.shield[top] else "shield_threshold"
        return FolderChoice("shielded", rule, top, explain)
    if over_review:
        top = max(over_review)[2]
        explain["threshold"] = rules.review[top]
        return FolderChoice("review", "review_threshold", top, explain)
    doubt = max(abuse.items(), key=lambda kv: (kv[1], kv[0] in SEVERE_LABELS), default=None)
    if supportive >= rules.support_min:
        if doubt is not None and doubt[1] >= rules.support_max_abuse:
            explain["threshold"] = rules.support_max_abuse
            return FolderChoice("review", "supportive_with_doubt", doubt[0], explain)
        severe = max(((v, k) for k, v in abuse.items() if k in SEVERE_LABELS), default=None)
        if severe is not None and severe[0] >= rules.support_max_severe:
            explain["threshold"] = rules.support_max_severe
            return FolderChoice("review", "supportive_with_doubt", severe[1], explain)
        if rules.support_exclude_coordinated and (
                post.coordinated_member or "coordinated" in post.signals):
            explain["why"] = "supportive words from a coordinated group: support is earned"
            return FolderChoice("review", "supportive_but_coordinated", doubt and doubt[0],
                                explain)
        if cues is not None:
            if rules.support_check_accusation and cues.accusation_any and cues.shame_cue:
                explain["accusation"] = cues.accusation_any
                explain["cue"] = cues.shame_cue
                return FolderChoice("review", "accusation_with_shame_cue",
                                    (doubt and doubt[0]) or "bad_faith", explain)
            against = _words_against(cues, rules)
            if against is not None:
                return FolderChoice("review", against[0], (doubt and doubt[0]) or against[1],
                                    explain)
            if rules.support_require_cue and not cues.support:
                explain["why"] = "the classifier finds it supportive, but its words do not say so"
                return FolderChoice("review", "supportive_unconfirmed", doubt and doubt[0],
                                    explain)
        explain["threshold"] = rules.support_min
        return FolderChoice("support", "supportive", None, explain)
    trace = _abuse_trace(abuse, rules)
    if trace is not None:
        explain["threshold"] = trace[1]
        return FolderChoice("review", "abuse_trace", trace[0], explain)
    if cues is not None:
        against = _words_against(cues, rules, inbox=True)
        if against is not None:
            return FolderChoice("review", against[0], against[1], explain)
    return FolderChoice("inbox", "default", None, explain)


def _cues(post: PostFacts, rules: Rules) -> TextCues | None:
    """The text cues of a post, or None when no text rule is on or there is no text."""
    if not post.text or not (rules.support_check_accusation or rules.support_check_words
                             or rules.support_require_cue or rules.support_cue_protects):
        return None
    return read_cues(post.text, post.lang)


def _words_against(cues: TextCues, rules: Rules, *, inbox: bool = False
                   ) -> tuple[str, str] | None:
    """(rule, category) when the words contradict support: a word of contempt, a
    second-person accusation that is not reported speech, mockery (Support only: a laugh in
    a neutral reply is no abuse signal)."""
    if not rules.support_check_words:
        return None
    if cues.contempt:
        return "contempt_word", "insult"
    if cues.accusation:
        return "second_person_accusation", "bad_faith"
    if cues.mockery and not inbox:
        return "supportive_mockery", "ridicule"
    return None


def _abuse_trace(abuse: Mapping[str, float], rules: Rules) -> tuple[str, float] | None:
    """The category (and floor) of the strongest abuse signal that keeps a reply out of the
    Inbox, or None when there is no signal at all."""
    found: list[tuple[float, str, float]] = []
    for label, value in abuse.items():
        floor = rules.inbox_severe_floor if label in SEVERE_LABELS else rules.inbox_max_abuse
        if value >= floor:
            found.append((value - floor, label, floor))
    if not found:
        return None
    _, label, floor = max(found)
    return label, floor


class _KeyChars(dict[int, "str | None"]):
    """str.translate table of copy_key: combining marks deleted, letters and digits kept, any
    other character a space. Filled as characters are met."""

    def __missing__(self, key: int) -> str | None:
        ch = chr(key)
        value = None if unicodedata.combining(ch) else ch if ch.isalnum() else " "
        if len(self) < 100_000:
            self[key] = value
        return value


_KEY_CHARS = _KeyChars()


@lru_cache(maxsize=50_000)
def copy_key(text: str) -> str:
    """The text with mentions, links, case, accents and punctuation taken out: two replies
    with the same key are copies of one text. (Remembered: triage asks for each post's key
    more than once, and copies share theirs.)"""
    stripped = _MENTION_OR_URL.sub(" ", text)
    folded = unicodedata.normalize("NFKD", stripped.casefold())
    words = folded.translate(_KEY_CHARS).split()
    if words:
        return " ".join(words)
    return "".join(stripped.split())  # emoji-only replies: their emoji are the text


@dataclass(frozen=True, slots=True)
class CopyGroup:
    """Posts that are copies of one text: `how` says why (coordination cluster, same text)."""

    id: str
    members: tuple[tuple[str, str], ...]
    how: tuple[str, ...]  # "cluster", "same_text"
    coordinated: bool = False


def consensus_choice(copies: Sequence[PostFacts], rules: Rules) -> FolderChoice | None:
    """The folder of exact copies read as one text: the rules on the average of their scores
    (no account signals: those stay with each copy). None with fewer than two analysed copies."""
    scored = [c for c in copies if c.scores is not None]
    if len(scored) < 2:
        return None
    labels = {label for c in scored for label in (c.scores or {})}
    mean = {label: sum(float((c.scores or {}).get(label, 0.0)) for c in scored) / len(scored)
            for label in labels}
    return choose_folder(replace(scored[0], scores=mean, signals=(), coordinated_member=False),
                         rules)


def apply_copy_fate(
    choices: Mapping[tuple[str, str], FolderChoice],
    groups: Sequence[CopyGroup],
    rules: Rules,
    decided: Mapping[tuple[str, str], str] | None = None,
    consensus: Mapping[tuple[str, str], FolderChoice] | None = None,
) -> dict[tuple[str, str], FolderChoice]:
    """One text, one fate: each copy takes the strictest folder any analysed copy earned.

    `decided` holds the folders the user chose for some copies: those copies keep them (the
    caller applies decisions), and a copy the user put in Shielded counts as earned for the
    others. Copies not analysed yet take the fate of the analysed ones. When
    `[clusters] shield_members` is false, copies of a shielded text go to review at most; so do
    they when another copy is clearly supportive (`support.protect_score`) and the group is not
    coordinated (the classifier disagrees with itself: the user decides, nothing in clear).

    `consensus` (by post) holds the folder of the post's exact text read as one (its exact
    copies' average scores, `consensus_choice`; a text found once: its own folder). When a
    group is not coordinated, no copy was shielded or decided by the user, and every copy in
    To review is there by a SOFT_RULE (one noisy score, not words, coordination or a user),
    each copy whose text earns Support that way goes there: the noise of one copy's mentions
    and links does not hold back every copy.
    """
    decided = decided or {}
    consensus = consensus or {}
    changed: dict[tuple[str, str], FolderChoice] = {}
    for group in groups:
        present = [m for m in group.members if m in choices]
        if len(present) < 2 or ("same_text" not in group.how
                                and len(present) < rules.clusters.min_size):
            continue
        earned = [(STRICTNESS[choices[m].folder], m) for m in present
                  if choices[m].rule != "not_analysed"]
        earned += [(STRICTNESS["shielded"], m) for m in present
                   if decided.get(m) == "shielded"]
        if not earned:
            continue
        level, strictest = max(earned, key=lambda e: (e[0], e[1] not in decided))
        if group.coordinated and rules.support_exclude_coordinated:
            level = max(level, STRICTNESS["review"])
        fate = FOLDERS[level] if level < 3 or rules.clusters.shield_members else "review"
        lowered = fate != FOLDERS[level]
        if fate == "shielded" and not group.coordinated and any(
                float(choices[m].explain.get("supportive", 0.0)) >= rules.support_protect
                for m in present):
            # The copies disagree between clear support and abuse: neither shown in clear
            # nor hidden as abuse; the user looks (a coordinated group gets no such doubt).
            fate, lowered = "review", True
        if (fate == "review" and level == STRICTNESS["review"] and not group.coordinated
                and consensus
                and not any(decided.get(m) for m in present)
                and all(choices[m].folder != "review" or choices[m].rule in SOFT_RULES
                        for m in present)):
            # Only single noisy scores hold the group back: each exact text is read together
            # (its copies' average scores) and reaches Support if that earns it (never the
            # Inbox: any abuse signal of any copy keeps a text out of the clear Inbox).
            for member in present:
                choice = choices[member]
                agreed = consensus.get(member)
                folder = "support" if agreed is not None and agreed.folder == "support" \
                    else fate
                if choice.folder == folder:
                    continue
                explain = dict(choice.explain)
                explain["copies"] = {"group": group.id, "size": len(present),
                                     "how": list(group.how), "read_together": folder,
                                     "own_folder": choice.folder, "own_rule": choice.rule}
                if agreed is not None:
                    explain["copies"]["mean_supportive"] = agreed.explain.get("supportive")
                    explain["copies"]["mean_abuse"] = agreed.explain.get("abuse")
                changed[member] = replace(
                    choice, folder=folder, category=choice.category if folder == "review"
                    else None, rule="copies_read_together" if folder != "review"
                    else "copies_share_fate", explain=explain)
            continue
        source = choices[strictest]
        category = source.category if source.folder == fate else None
        for member in present:
            choice = choices[member]
            if choice.folder == fate or (STRICTNESS[choice.folder] > STRICTNESS[fate]
                                         and not lowered):
                continue
            explain = dict(choice.explain)
            explain["copies"] = {"group": group.id, "size": len(present), "how": list(group.how),
                                 "strictest_copy": f"{strictest[0]}:{strictest[1]}",
                                 "its_folder": FOLDERS[level] if level < 4 else fate,
                                 "its_rule": "your decision" if decided.get(strictest)
                                 == "shielded" and choices[strictest].folder != "shielded"
                                 else source.rule,
                                 "own_folder": choice.folder}
            changed[member] = replace(choice, folder=fate, rule="copies_share_fate",
                                      category=choice.category or category or source.category,
                                      explain=explain)
    return changed
