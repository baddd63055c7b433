"""HyperLogLog for approximate distinct counts, with registers kept sparse and mergeable.

Precision 12: 4,096 registers, standard error 1.04/sqrt(4096) = 1.6%; the estimate is within
±5% (about three standard errors) of the true count for all but ~1 in 300 windows. Small sets
are estimated by linear counting, off only by the values that share a register beyond the
expected number (n²/8192 of them): within ±6 of the true count below a few hundred.

Values are hashed with DuckDB's 64-bit ``hash()`` inside the decode query (one vectorized pass;
the same DuckDB version gives the same hash, so a replay rebuilds identical registers). The top
12 bits pick the register; the register keeps the highest rank (1 + leading zeros) of the
remaining 52 bits seen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

PRECISION = 12
REGISTERS = 1 << PRECISION
_REST_BITS = 64 - PRECISION
_ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)


def index_sql(hash_sql: str) -> str:
    """DuckDB expression of the register index of a UBIGINT hash."""
    return f"(({hash_sql}) >> {_REST_BITS})::USMALLINT"


def rank_sql(hash_sql: str) -> str:
    """DuckDB expression of the rank (1 + leading zeros of the low 52 bits) of a UBIGINT hash."""
    rest = f"(({hash_sql}) & {(1 << _REST_BITS) - 1}::UBIGINT)"
    return (
        f"(CASE WHEN {rest} = 0 THEN {_REST_BITS + 1} "
        f"ELSE {_REST_BITS} - floor(log2({rest}::DOUBLE)) END)::UTINYINT"
    )


def merge_into(registers: dict[int, int], updates: Iterable[tuple[int, int]]) -> None:
    """Keep the highest rank per register."""
    for index, rank in updates:
        if rank > registers.get(index, 0):
            registers[index] = rank


def estimate(registers: Mapping[int, int]) -> int:
    """The distinct-count estimate of a (sparse) register set, rounded to an integer.

    Registers are summed in index order, so the same set always gives the same estimate.
    """
    if not registers:
        return 0
    zeros = REGISTERS - len(registers)
    harmonic = zeros + sum(2.0 ** -registers[i] for i in sorted(registers))
    raw = _ALPHA * REGISTERS * REGISTERS / harmonic
    if raw <= 2.5 * REGISTERS and zeros > 0:
        return round(REGISTERS * math.log(REGISTERS / zeros))
    return round(raw)
