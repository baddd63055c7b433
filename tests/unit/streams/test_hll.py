"""HyperLogLog: the stated error bound holds, and merged registers equal registers of the union."""

from __future__ import annotations

import duckdb
import pytest

from streams.aggregations import hll


def registers(values: list[str] | range) -> dict[int, int]:
    """Registers of ``values`` (a range stands for 'u0', 'u1', ...), computed with the SQL the
    decoder runs."""
    con = duckdb.connect()
    if isinstance(values, range):
        con.execute(
            "CREATE TABLE v AS SELECT 'u' || range AS x FROM range(?, ?)",
            [values.start, values.stop],
        )
    else:
        con.execute("CREATE TABLE v (x VARCHAR)")
        con.executemany("INSERT INTO v VALUES (?)", [[x] for x in values])
    h = "hash(x)"
    rows = con.execute(f"SELECT {hll.index_sql(h)}, {hll.rank_sql(h)} FROM v").fetchall()  # noqa: S608
    regs: dict[int, int] = {}
    hll.merge_into(regs, rows)
    return regs


@pytest.mark.parametrize("n", [1, 10, 100, 1_000, 10_000, 60_000])
def test_the_estimate_is_within_five_percent(n: int) -> None:
    # 5% is about three standard errors at precision 12 (1.04 / sqrt(4096) = 1.6%)
    estimate = hll.estimate(registers(range(n)))
    assert abs(estimate - n) <= max(1, 0.05 * n), estimate


@pytest.mark.parametrize("n", [32, 100, 200])
def test_small_sets_are_within_six_or_five_percent(n: int) -> None:
    # linear counting: off by register collisions beyond the expected n^2 / 8192; 2,000 sets
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT s, {hll.index_sql('hash(x)')}, {hll.rank_sql('hash(x)')} "  # noqa: S608
        "FROM (SELECT s, 's' || s || '-u' || i AS x FROM range(2000) t(s), range(?) u(i))",
        [n],
    ).fetchall()
    sets: dict[int, dict[int, int]] = {}
    for s, index, rank in rows:
        hll.merge_into(sets.setdefault(s, {}), [(index, rank)])
    worst = max(abs(hll.estimate(registers) - n) for registers in sets.values())
    assert worst <= max(6, 0.05 * n), worst


def test_duplicates_do_not_count_and_an_empty_set_is_zero() -> None:
    assert hll.estimate(registers(["a", "b", "a", "a", "b"])) == 2
    assert hll.estimate({}) == 0


def test_merged_registers_equal_the_registers_of_the_union() -> None:
    left = registers(range(3_000))
    right = registers(range(2_000, 5_000))
    merged = dict(left)
    hll.merge_into(merged, right.items())
    assert merged == registers(range(5_000))


def test_the_rank_uses_all_52_low_bits() -> None:
    con = duckdb.connect()
    ranks = [
        con.execute(f"SELECT {hll.rank_sql(f'{h}::UBIGINT')}").fetchone()[0]  # type: ignore[index]
        for h in (1 << 51, 1, 0, (1 << 63) | 1)
    ]
    assert ranks == [1, 52, 53, 52]
