from __future__ import annotations

import pytest

from tide.cli.size import SizeError, parse_size


@pytest.mark.parametrize(
    ("text", "size"), [("128MB", 128 * 1024**2), ("1gb", 1024**3), ("512 KB", 512 * 1024),
                       ("4096", 4096), ("1.5MB", 1572864)],
)  # fmt: skip
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text, "--target-size") == size


@pytest.mark.parametrize("text", ["", "big", "-1MB", "0", "1TB"])
def test_bad_sizes_name_the_option(text: str) -> None:
    with pytest.raises(SizeError, match=f"--target-size {text!r} is not a size"):
        parse_size(text, "--target-size")
