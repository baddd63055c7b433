"""A query result written whole to a Parquet file the user names, outside the lake.

pyarrow writes it from DuckDB's Arrow stream: DuckDB itself stays sandboxed (no COPY, no
file access beyond the warehouse), and the file appears only once complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from lake.errors import ExportError

SUFFIX = ".parquet"


def check_target(path: Path, warehouse: str) -> None:
    """ExportError unless ``path`` is a ``.parquet`` file outside the local warehouse."""
    if path.suffix.lower() != SUFFIX:
        raise ExportError(f"{path} is written as Parquet: name it *{SUFFIX}")
    parsed = urlparse(warehouse)
    if parsed.scheme in ("file", ""):
        root = Path(unquote(parsed.path)).resolve()
        if path.resolve().is_relative_to(root):
            raise ExportError(f"{path} is inside the lake's warehouse {root}: write elsewhere")


def write_parquet(reader: pa.RecordBatchReader, path: Path) -> int:
    """Every batch of ``reader`` into the Parquet file ``path`` (replaced whole); the rows.

    Errors of the writer are ExportError; those of reading (the statement's) pass through.
    """
    partial = path.with_name(f".{path.name}.partial")
    rows = 0
    try:
        with _writing(path):
            writer = pq.ParquetWriter(partial, reader.schema)
        try:
            for batch in reader:
                with _writing(path):
                    writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            writer.close()
        with _writing(path):
            partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from e
    except pa.ArrowException as e:
        raise ExportError(f"cannot write {path} as Parquet: {e}") from e
