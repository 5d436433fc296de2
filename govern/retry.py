"""One way to wait between attempts: exponential backoff with full jitter, a numeric Retry-After
honoured (within a cap), a number of retries and a deadline for all of them.

The HTTP clients (Exstream, Smint.io) wait in-process between the attempts of one call; the
outbox waits across calls by scheduling a row's next attempt with the same delay.
"""

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    base: float  # the longest first wait, in seconds; doubled per attempt
    cap: float = math.inf  # no wait is longer
    retries: int = 0  # attempts after the first
    deadline: float = math.inf  # seconds for every attempt together
    retry_after_cap: float = math.inf  # a server's Retry-After is followed up to this

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before the retry after failed attempt `attempt` (0-based)."""
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.retry_after_cap)
        ceiling = min(self.cap, self.base * 2 ** min(attempt, 64))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


@dataclass
class Attempts:
    """The attempts of one call: `wait` sleeps before the next, or raises the failure once the
    retries or the deadline are spent."""

    backoff: Backoff
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    made: int = 0
    started: float = field(default=math.nan)

    def __post_init__(self) -> None:
        if math.isnan(self.started):
            self.started = self.clock()

    def wait(self, failure: Exception, retry_after: str | None = None) -> None:
        if self.made >= self.backoff.retries:
            raise failure
        delay = self.backoff.delay(self.made, retry_after)
        if self.clock() - self.started + delay > self.backoff.deadline:
            raise failure
        self.made += 1
        self.sleep(delay)
