"""Jobs declared in a TOML file, for users who define their own without writing Python.

```toml
[[job]]
name = "clicks_per_device"          # lower_snake_case; also the output topic unless `output`
source = "clicks"
time = "event_time"                 # timestamp-millis/micros or a long of epoch milliseconds
key = "device"                      # dotted path; a union branch selects it: payload.OrderPaid
where = "payload.OrderPaid"         # optional: only events where this path is present
window_seconds = 60                 # optional, default TIDE_STREAMS__WINDOW_SECONDS
lateness_seconds = 10               # optional, default TIDE_STREAMS__LATENESS_SECONDS
out_of_orderness_seconds = 0        # optional
early_every_seconds = 5             # optional: EARLY running values before the FINAL one
aggregations = [
  { name = "clicks", kind = "count" },
  { name = "users", kind = "distinct", field = "user_id" },
  { name = "revenue", kind = "sum", field = "amount", type = "long" },  # long | double
]
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from streams.errors import JobDefinitionError
from streams.jobs.base import AggKind, Aggregation, Timing, ValueType, WindowJob

_JOB_KEYS = {
    "name",
    "source",
    "time",
    "key",
    "where",
    "output",
    "key_name",
    "window_seconds",
    "lateness_seconds",
    "out_of_orderness_seconds",
    "early_every_seconds",
    "aggregations",
    "description",
}
_AGG_KEYS = {"name", "kind", "field", "type"}


def load_jobs_file(path: Path, defaults: Timing) -> dict[str, WindowJob]:
    """The jobs of a TOML file, by name; any mistake names the job and the key at fault."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise JobDefinitionError(f"cannot read jobs file {path}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise JobDefinitionError(f"jobs file {path}: {e}") from e
    entries = data.get("job", [])
    if not isinstance(entries, list) or not entries:
        raise JobDefinitionError(f"jobs file {path}: no [[job]] tables")
    jobs: dict[str, WindowJob] = {}
    for n, entry in enumerate(entries, 1):
        job = _job(entry, defaults, f"{path} job #{n}")
        if job.name in jobs:
            raise JobDefinitionError(f"{path}: job {job.name!r} is declared twice")
        jobs[job.name] = job
    return jobs


def _job(entry: dict[str, Any], defaults: Timing, where: str) -> WindowJob:
    unknown = sorted(set(entry) - _JOB_KEYS)
    if unknown:
        raise JobDefinitionError(f"{where}: unknown keys {unknown} (known: {sorted(_JOB_KEYS)})")
    for required in ("name", "source", "time", "key", "aggregations"):
        if required not in entry:
            raise JobDefinitionError(f"{where}: missing {required!r}")
    name = entry["name"]
    ms = _seconds_ms(entry, where)
    timing = Timing(
        size_ms=ms("window_seconds", defaults.size_ms),
        lateness_ms=ms("lateness_seconds", defaults.lateness_ms),
        out_of_orderness_ms=ms("out_of_orderness_seconds", defaults.out_of_orderness_ms),
    )
    aggs = entry["aggregations"]
    if not isinstance(aggs, list):
        raise JobDefinitionError(f"job {name}: aggregations must be a list of tables")
    return WindowJob(
        name=name,
        source=entry["source"],
        time_path=entry["time"],
        key_path=entry["key"],
        aggregations=tuple(_aggregation(a, f"job {name}") for a in aggs),
        timing=timing,
        where=entry.get("where"),
        output=entry.get("output"),
        key_name=entry.get("key_name"),
        early_every_s=entry.get("early_every_seconds"),
        description=entry.get("description", ""),
    )


def _seconds_ms(entry: dict[str, Any], where: str) -> Any:
    def ms(key: str, default: int) -> int:
        value = entry.get(key)
        if value is None:
            return default
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise JobDefinitionError(f"{where}: {key} must be a number of seconds, not {value!r}")
        return int(value * 1000)

    return ms


def _aggregation(entry: Any, where: str) -> Aggregation:
    if not isinstance(entry, dict):
        raise JobDefinitionError(f"{where}: each aggregation is a table with name and kind")
    unknown = sorted(set(entry) - _AGG_KEYS)
    if unknown:
        raise JobDefinitionError(
            f"{where}: aggregation keys {unknown} unknown (known: {sorted(_AGG_KEYS)})"
        )
    try:
        kind = AggKind(str(entry.get("kind")))
        value_type = ValueType(entry.get("type", "long"))
    except ValueError as e:
        raise JobDefinitionError(
            f"{where}: {e} (kinds: {[k.value for k in AggKind]}, types: long, double)"
        ) from e
    if "name" not in entry:
        raise JobDefinitionError(f"{where}: an aggregation needs a name")
    return Aggregation(entry["name"], kind, entry.get("field"), value_type)
