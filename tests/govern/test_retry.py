"""The one backoff: full jitter under a doubling ceiling, Retry-After within its cap, retries and
a deadline that end the waiting by raising the failure."""

import random

import pytest

from govern.retry import Attempts, Backoff


def test_delays_stay_under_a_doubling_ceiling_and_the_cap() -> None:
    random.seed(7)
    policy = Backoff(base=1.0, cap=5.0)
    for attempt in range(10):
        delays = [policy.delay(attempt) for _ in range(200)]
        ceiling = min(5.0, 2.0**attempt)
        assert max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # jitter spans the range, not a fixed value
    assert policy.delay(10_000) <= 5.0  # no overflow for absurd attempt numbers


def test_retry_after_is_followed_up_to_its_cap() -> None:
    policy = Backoff(base=1.0, retry_after_cap=30.0)
    assert policy.delay(0, "12") == 12.0
    assert policy.delay(0, "3600") == 30.0
    assert policy.delay(0, "Wed, 21 Oct 2026 07:28:00 GMT") <= 1.0  # a date: plain backoff


def test_attempts_wait_until_the_retries_are_spent() -> None:
    slept: list[float] = []
    attempts = Attempts(Backoff(base=0.5, retries=3), sleep=slept.append)
    failure = RuntimeError("still down")
    for _ in range(3):
        attempts.wait(failure)
    with pytest.raises(RuntimeError, match="still down"):
        attempts.wait(failure)
    assert len(slept) == 3


def test_the_deadline_ends_the_waiting_early() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    attempts = Attempts(
        Backoff(base=10.0, retries=100, deadline=25.0), sleep=sleep, clock=lambda: now[0]
    )
    with pytest.raises(RuntimeError):
        while True:
            attempts.wait(RuntimeError("down"), retry_after="10")
    assert slept == [10.0, 10.0]  # a third wait would end past the deadline
