"""http_soak's counting and pacing, with a fake clock and fake answers (no network)."""

from __future__ import annotations

from ansible_collections.invoice.platform.plugins.modules.http_soak import soak


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_requests_are_spread_over_the_seconds_and_counted() -> None:
    clock = Clock()
    answers = iter([200, 200, 503, "URLError: refused", 200])
    result = soak(lambda: next(answers), 5, 2.0, {200}, clock=clock, sleep=clock.sleep)
    assert clock.slept == [0.4, 0.4, 0.4, 0.4]  # one request every 2/5 s
    assert result == {
        "requests": 5,
        "errors": 2,
        "error_rate": 0.4,
        "statuses": {"200": 3, "503": 1, "error": 1},
        "seconds": 1.6,
        "first_error": "503",
    }


def test_all_good_has_no_first_error() -> None:
    clock = Clock()
    result = soak(lambda: 200, 3, 0, {200}, clock=clock, sleep=clock.sleep)
    assert (result["errors"], result["error_rate"], clock.slept) == (0, 0.0, [])
    assert "first_error" not in result
