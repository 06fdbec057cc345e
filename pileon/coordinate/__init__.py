"""Coordination and pile-on detection: near-duplicate clusters, bursts, account signals and
the co-action graph. Pure functions over batches of posts; SQLite stays in pileon/store.
"""

from pileon.coordinate.results import CoordinationParams, CoordinationResult
from pileon.coordinate.run import analyse_coordination

__all__ = ["CoordinationParams", "CoordinationResult", "analyse_coordination"]
