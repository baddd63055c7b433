"""SQL over the lake: `tide sql`'s engine (DuckDB over the Iceberg table, sandboxed, a view per
table) against bare DuckDB over the same rows in one Parquet file, measured in the same run.

    .venv/bin/python -m bench.sql [--events 500000] [--commits 10] [--repeat 5]

Builds the table with Tide's own landing commit (``append_with_offsets``, ``--commits`` commits,
so the table has the files a continuous land leaves before compaction), writes the same rows
to one Parquet file, and times each query (median of ``--repeat`` runs; every run opens no new
engine, as a `tide sql serve` process does not). The target: Tide ≤ 1.5x bare DuckDB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lake.arrow_schema import records_to_arrow
from lake.catalog import ensure_namespace, open_catalog
from lake.offsets import append_with_offsets
from lake.query import QueryEngine
from lake.tables import ensure_table
from producers.generators.clicks import clicks
from producers.generators.clock import EventClock
from schemas.loader import load

QUERIES = {
    "count by page": "SELECT page, count(*) AS n FROM {t} GROUP BY page ORDER BY n DESC",
    "users by region and day": "SELECT region, date_trunc('day', event_time) AS day, "
    "count(DISTINCT user_id) AS users FROM {t} GROUP BY 1, 2 ORDER BY 1, 2",
    "filtered count": "SELECT device, count(*) FROM {t} WHERE region = 'eu' GROUP BY device",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args.events, args.commits, args.repeat)


def run(tmp: Path, n: int, commits: int, repeat: int) -> None:
    contract = load("clicks")
    events = [e for _, e in clicks(n, EventClock.spanning(n, 3 * 86_400), seed=3)]
    data = records_to_arrow(events, contract.schema)
    catalog = open_catalog(f"sqlite:///{tmp}/catalog.sqlite", f"file://{tmp}/warehouse")
    ensure_namespace(catalog, "tide")
    table = ensure_table(catalog, "tide", "clicks", data.schema)
    step = -(-n // commits)
    for i, start in enumerate(range(0, n, step)):
        part = data.slice(start, step)
        append_with_offsets(table, part, "clicks", {0: start + part.num_rows},
                            expected={} if i == 0 else {0: start})  # fmt: skip
    single = tmp / "clicks.parquet"
    pq.write_table(data, single)
    engine = QueryEngine(catalog, "tide", tmp / "duckdb")
    bare = duckdb.connect()
    bare.execute(f"CREATE VIEW clicks AS SELECT * FROM read_parquet('{single}')")  # noqa: S608
    print(f"{n} clicks, {commits} commits ({len(table.inspect.files())} data files), median of "
          f"{repeat} runs")  # fmt: skip
    print(f"{'query':<26}{'tide sql (ms)':>15}{'bare DuckDB, 1 file (ms)':>27}{'ratio':>8}")
    for name, sql in QUERIES.items():
        statement = sql.format(t="clicks")
        ours = _median(lambda s=statement: engine.query(s), repeat)
        theirs = _median(lambda s=statement: bare.execute(s).to_arrow_table(), repeat)
        if not _same(engine.query(statement), bare.execute(statement).to_arrow_table()):
            raise SystemExit(f"{name}: the two answers differ")
        print(f"{name:<26}{ours * 1000:>15.1f}{theirs * 1000:>27.1f}{ours / theirs:>8.2f}")
    engine.close()
    bare.close()


def _median(work: object, repeat: int) -> float:
    """The median time of ``repeat`` runs, after one untimed run (caches, extension loads)."""
    work()  # type: ignore[operator]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _same(a: pa.Table, b: pa.Table) -> bool:
    return sorted(map(str, a.to_pylist())) == sorted(map(str, b.to_pylist()))


if __name__ == "__main__":
    main()
