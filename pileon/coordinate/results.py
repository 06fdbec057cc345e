"""What the coordination stage finds, as frozen records: parameters, clusters, synchronised
groups, bursts, account signals, co-action edges and the whole result of one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from pileon.coordinate.signals import DEFAULT_ACCOUNT_SIGNALS, AccountSignalConfig

__all__ = [
    "WINDOW_SEMANTICS",
    "AccountSignals",
    "Burst",
    "CoActionEdge",
    "CoordinationParams",
    "CoordinationResult",
    "NearDuplicateCluster",
    "SynchronisedGroup",
]

#: Printed in every summary and in docs/coordination.md, word for word.
WINDOW_SEMANTICS = (
    "synchronised = EVERY PAIR of members posted within W of each other (the group spans at "
    "most W: first post .. first post + W), not 'each consecutive pair within W', which chains"
)


@dataclass(frozen=True, slots=True)
class CoordinationParams:
    """Every knob of a run; stored with the run so its numbers can be reproduced."""

    shingle_size: int = 5  # characters per shingle of the coordination text
    num_perm: int = 60  # MinHash permutations
    bands: int = 20  # LSH bands (num_perm / bands = 3 rows each)
    jaccard_threshold: float = 0.4  # exact Jaccard a candidate pair must reach
    template_threshold: float = 0.25  # ... and every member to its cluster's template
    seed: int = 1
    window_s: int = 600  # W for synchronised groups and co-replies
    min_group_size: int = 5  # posts in a synchronised group
    min_group_accounts: int = 5  # distinct accounts in a synchronised group
    account_evidence: float = 0.5  # mean profile score that counts as account evidence
    ordinary_member: float = 0.25  # below this profile score a member of a coordinated group
    #                                is listed as "same text, same window, ordinary account"
    # The profile signals' thresholds: defined once in coordinate/signals.py, shared with the
    # triage rules ([account_signals]); see `account_signal_config`.
    new_account_days: int = DEFAULT_ACCOUNT_SIGNALS.new_account_days
    few_followers: int = DEFAULT_ACCOUNT_SIGNALS.few_followers
    few_posts: int = DEFAULT_ACCOUNT_SIGNALS.few_posts
    no_avatar: bool = DEFAULT_ACCOUNT_SIGNALS.no_avatar
    many_replies: int = 5  # replies to this thread by one account
    burst_baseline_min: int = 61  # centred rolling window of the burst baseline, minutes
    burst_z: float = 4.0
    burst_min_excess: int = 5  # posts above the baseline in a burst minute
    co_reply_min: int = 2  # shared co-replies before two accounts are linked
    specific_tokens: int = 5  # distinct tokens a specific template has
    specific_bits: float = 40.0  # ... and bits of information against the rest of the thread
    weak_tokens: int = 3  # ... a weak one (counts only with profile evidence)
    weak_bits: float = 20.0
    common_token_share: float = 0.01  # a token in >= this share of posts is not informative
    rare_shingle_share: float = 0.0005  # a shingle in <= this share of posts elsewhere is rare
    min_time_surprise: float = 6.0  # -log10 Poisson tail a tight group reaches
    spread_s: int = 3600  # the hour either side of a group in which its text may keep spreading
    spread_ratio: float = 1.0  # new accounts there per group account: a spreading share
    together_surprise: float = 2.0  # -log10 p for "synchronised", + log10(windows tested)

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError("num_perm must be a multiple of bands")

    def account_signal_config(self) -> AccountSignalConfig:
        """The profile signals' thresholds of this run (the same type triage's rules hold)."""
        return AccountSignalConfig(self.new_account_days, self.few_followers, self.few_posts,
                                   self.no_avatar)

    def with_account_signals(self, config: AccountSignalConfig) -> CoordinationParams:
        """These params with `config`'s thresholds (e.g. from the triage rules file)."""
        return replace(self, new_account_days=config.new_account_days,
                       few_followers=config.few_followers, few_posts=config.few_posts,
                       no_avatar=config.no_avatar)


@dataclass(frozen=True, slots=True)
class SynchronisedGroup:
    """Members of one near-duplicate cluster posted within W of the group's first member."""

    index: int
    members: tuple[int, ...]  # row numbers in the batch
    accounts: int
    first_ms: int
    last_ms: int
    profile_score: float | None  # mean profile score of its accounts; None = all unknown
    coordinated: bool  # text AND time evidence (profile evidence for a weak text)
    why: str
    # Members of a coordinated group whose own account looks established (known profile,
    # score below `ordinary_member`): same text in the same window, but not counted as the wave.
    ordinary: tuple[int, ...] = ()
    expected: float | None = None  # cluster posts the thread's rate predicts in the window
    time_surprise: float | None = None  # -log10 P(this many or more | expected)
    text_level: str | None = None  # "specific" | "weak" | "none"
    # Distinct accounts outside the group that posted the same text within `spread_s` of its
    # window (None = not measured: the group had no text and time evidence to weigh).
    spread_accounts: int | None = None
    # More of the cluster's posts in the window than the thread's own rate explains, at
    # p <= 0.01 over all the windows tested in the cluster (Bonferroni). A window the thread's
    # rate fills anyway (a common reply in a busy hour) is not "together".
    tight: bool = False

    @property
    def coordinated_members(self) -> tuple[int, ...]:
        if not self.coordinated:
            return ()
        return tuple(r for r in self.members if r not in set(self.ordinary))


@dataclass(frozen=True, slots=True)
class NearDuplicateCluster:
    id: int
    members: tuple[int, ...]  # row numbers in the batch
    similarity: tuple[float, ...]  # exact Jaccard of each member to the template, same order
    template_row: int  # the medoid: the member text most similar to all the others
    template_text: str
    accounts: tuple[str, ...]
    first_ms: int | None
    last_ms: int | None
    undated: int  # members without a timestamp
    groups: tuple[SynchronisedGroup, ...] = ()
    informative_tokens: int | None = None  # of the template; None when not measured
    text_bits: float | None = None  # information of the template's tokens (see evidence.py)
    rare_share: float | None = None  # share of the template's shingles rare elsewhere

    @property
    def verdict(self) -> str:
        if any(group.coordinated for group in self.groups):
            return "coordinated"
        if any(group.tight for group in self.groups):
            return "synchronised"
        return "near_duplicate"


@dataclass(frozen=True, slots=True)
class Burst:
    start_ms: int
    end_ms: int  # exclusive: start of the minute after the last burst minute
    posts: int
    expected: float  # baseline posts over the same minutes
    peak_per_minute: int
    peak_z: float
    clustered_posts: int  # of which members of near-duplicate clusters


@dataclass(frozen=True, slots=True)
class AccountSignals:
    """Block-Party-style signals. `None` = the payload did not say: unknown, not false."""

    platform: str
    account_id: str
    handle: str | None
    signals: dict[str, bool | None]
    score: float  # 0..1: weight of true signals over the weight of all signals
    profile_score: float | None  # same over profile signals only; None if all unknown
    reasons: tuple[str, ...]
    replies: int
    clusters: int
    component: int | None = None


@dataclass(frozen=True, slots=True)
class CoActionEdge:
    source: str  # "platform:account_id"
    target: str
    co_posts: int  # coordinated groups both posted in
    co_replies: int  # quote-posts both replied to within W of each other


@dataclass(frozen=True, slots=True)
class CoordinationResult:
    params: CoordinationParams
    posts: int
    clusters: tuple[NearDuplicateCluster, ...]
    bursts: tuple[Burst, ...]
    accounts: tuple[AccountSignals, ...]
    edges: tuple[CoActionEdge, ...]
    components: tuple[tuple[str, ...], ...]  # accounts per component, largest first
    not_computed: tuple[str, ...] = ()  # what could not be computed, and why
    notes: dict[str, int] = field(default_factory=dict)
    computed_at: datetime | None = None
