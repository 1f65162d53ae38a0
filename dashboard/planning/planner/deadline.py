"""One deadline for a whole plan (docs/method.md §9): a monotonic clock passed down every path.

Every solver call, greedy loop and explanation reads the same :class:`Deadline`; none starts a
piece of work it has no time left for.  ``time.monotonic`` is used, never the wall clock."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Final

MIN_SOLVE_S: Final = 0.05  # less than this left: no new solver call is started


@dataclass(frozen=True)
class Deadline:
    """The moment (``time.monotonic``) by which a plan returns; ``start`` is when it began."""

    start: float
    end: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """Return the deadline ``seconds`` from now (``math.inf``: none)."""
        now = time.monotonic()
        return cls(now, now + seconds)

    def left(self) -> float:
        """Return the seconds left (0 when passed)."""
        return max(self.end - time.monotonic(), 0.0)

    def expired(self, reserve: float = 0.0) -> bool:
        """Return whether fewer than ``reserve`` (at least MIN_SOLVE_S) seconds are left."""
        return self.left() <= max(reserve, MIN_SOLVE_S)

    def elapsed(self) -> float:
        """Return the seconds since the start."""
        return time.monotonic() - self.start

    def share(self, fraction: float) -> Deadline:
        """Return a deadline ``fraction`` of the time left from now (never later than this one)."""
        now = time.monotonic()
        return Deadline(now, now + max(self.end - now, 0.0) * fraction)

    def less(self, reserve: float) -> Deadline:
        """Return this deadline moved ``reserve`` seconds earlier (not before now)."""
        now = time.monotonic()
        return Deadline(now, max(self.end - reserve, now))

    def limit(self, cap: float = math.inf) -> float:
        """Return a solver's time limit: the seconds left, at most ``cap``."""
        return min(self.left(), cap)
