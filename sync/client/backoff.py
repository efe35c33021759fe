"""Retry timing: exponential backoff with full jitter, capped, honouring the server's Retry-After.

The clock, the sleep and the random source are injected, so tests run the real policy without
waiting (and a test can check every delay it chose)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Callable

# Answers worth another try: the server is busy, restarting or briefly failing.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now())


@dataclass
class Backoff:
    """How long to wait before try number ``attempt`` (1 = the first retry), and when to give up.

    delay = uniform(0, min(cap, base * 2 ** (attempt - 1))), at least Retry-After when the server
    sent one (plus up to 10% jitter, so a fleet told "60" does not return in one burst), and never
    past the deadline of the whole operation."""

    base: float = 0.5
    cap: float = 30.0
    max_attempts: int = 8  # tries in all, the first included
    max_elapsed: float = 300.0  # seconds for one request, retries included
    max_retry_after: float = 600.0  # a Retry-After beyond this is not waited for
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        exponential = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        chosen = self.rng.uniform(0, exponential)
        if retry_after is not None:
            chosen = max(chosen, retry_after + self.rng.uniform(0, retry_after * 0.1))
        return chosen

    def start(self) -> "Attempts":
        return Attempts(self, started=self.clock())


@dataclass
class Attempts:
    """The retry state of one operation."""

    policy: Backoff
    started: float
    count: int = 1  # the try in progress
    waited: list[float] = field(default_factory=list)

    def wait_before_next(self, retry_after: float | None = None) -> bool:
        """Sleep before the next try and return True, or return False: give up now."""
        policy = self.policy
        if self.count >= policy.max_attempts:
            return False
        if retry_after is not None and retry_after > policy.max_retry_after:
            return False
        delay = policy.delay(self.count, retry_after)
        if policy.clock() - self.started + delay > policy.max_elapsed:
            return False
        policy.sleep(delay)
        self.waited.append(delay)
        self.count += 1
        return True
