from __future__ import annotations

import pytest

from tide.cli.duration import DurationError, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("45", 45.0), ("0", 0.0),
     ("7d", 604800.0), (" 1.5 S ", 1.5)],
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-1s", "1w", "1 s 2"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(DurationError, match=f"--timeout {text!r} is not a duration"):
        parse_duration(text)
