from __future__ import annotations

import pytest

from lake.errors import AsOfError
from lake.time_travel import AsOf, show_time


@pytest.mark.parametrize(
    ("text", "as_of"),
    [
        ("7642809625752154985", AsOf(snapshot_id=7642809625752154985)),
        ("2026-12-01T10:00:00Z", AsOf(timestamp_ms=1796119200000)),
        ("2026-12-01T10:00:00", AsOf(timestamp_ms=1796119200000)),  # UTC unless it says
        ("2026-12-01T11:00:00+01:00", AsOf(timestamp_ms=1796119200000)),
        ("2026-12-01", AsOf(timestamp_ms=1796083200000)),
    ],
)
def test_parse(text: str, as_of: AsOf) -> None:
    assert AsOf.parse(text) == as_of


def test_what_is_neither_is_refused() -> None:
    with pytest.raises(AsOfError, match="'-5' is neither a snapshot id nor an ISO 8601 time"):
        AsOf.parse("-5")


def test_shown_in_utc_to_the_millisecond() -> None:
    assert show_time(1796119200123) == "2026-12-01T10:00:00.123Z"
    assert str(AsOf(timestamp_ms=1796119200000)) == "2026-12-01T10:00:00.000Z"
    assert str(AsOf(snapshot_id=7)) == "snapshot 7"
