"""Bad input to the maintenance jobs: one line naming what was wrong, exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_bad_input import assert_refused, run


def test_an_unknown_table_a_bad_duration_and_a_bad_size_are_named(tmp_path: Path) -> None:
    submit = ("jobs", "submit")
    assert_refused(run(tmp_path, {}, *submit, "expire", "--table", "nope", "--older-than", "7d"),
                   "lake table tide.nope does not exist")  # fmt: skip
    assert_refused(run(tmp_path, {}, *submit, "orphans", "--table", "t", "--older-than", "soon"),
                   "--older-than 'soon' is not a duration")  # fmt: skip
    assert_refused(run(tmp_path, {}, *submit, "compact", "--table", "t", "--target-size", "big"),
                   "--target-size 'big' is not a size")  # fmt: skip
