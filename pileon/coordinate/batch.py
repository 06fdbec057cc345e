"""A batch of posts as columns: what every coordination function takes. The type lives in
pileon.records (the store builds it too, and the store imports no stage); this module keeps
the name the coordination code has always imported it under.
"""

from __future__ import annotations

from pileon.records import NO_TIME, PostBatch

__all__ = ["NO_TIME", "PostBatch"]
