"""The in-process fixed window, on a clock the test moves."""

from __future__ import annotations

from api.ratelimit import InProcessRateLimiter, Unlimited, _key, build_rate_limiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_limit_requests_then_says_when_to_retry() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(3, 60, clock=clock)
    decisions = [limiter.hit("ada") for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert decisions[3].retry_after_s == 60
    clock.now += 45.5
    assert limiter.hit("ada").retry_after_s == 15  # rounded up: never "retry in 0 s"
    assert limiter.hit("grace").allowed  # budgets are per key


def test_the_window_starts_again_after_it_ends() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(1, 10, clock=clock)
    assert limiter.hit("ada").allowed and not limiter.hit("ada").allowed
    clock.now += 10
    assert limiter.hit("ada").allowed


def test_keys_are_hashed_and_zero_means_no_limit() -> None:
    assert "@" not in _key("ada@example.edu") and len(_key("ada@example.edu")) == 32
    assert isinstance(build_rate_limiter(0, 60, "redis://127.0.0.1:1/0"), Unlimited)
    assert isinstance(build_rate_limiter(5, 60, None), InProcessRateLimiter)
