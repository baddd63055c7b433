"""Snapshot expiry that keeps the landing bookkeeping readable.

A land job reads its committed offsets (and event times) by walking back from the current
snapshot to the newest one carrying them (``lake.offsets.lineage``); pyiceberg drops the parent
id of a snapshot whose parent it expires, so that walk stops at the first gap. Expiry therefore
never removes the current snapshot, the newest ``retain_last``, branch or tag heads, nor any
snapshot between the current one and the newest carrier of each bookkeeping key.
Metadata only: the files the expired snapshots alone referenced are left to ``orphans``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table

from lake.errors import CommitError
from lake.offsets import CARRIED, properties_of


@dataclass(frozen=True)
class ExpireResult:
    table: str
    expired: int  # snapshots removed
    kept: int  # snapshots left
    expired_ids: list[int]


def expire_snapshots(table: Table, older_than_s: float, retain_last: int = 1) -> ExpireResult:
    """Expire ``table``'s snapshots committed more than ``older_than_s`` seconds ago, except
    the protected ones (see the module doc)."""
    table.refresh()
    cutoff_ms = int((time.time() - older_than_s) * 1000)
    ordered = sorted(table.snapshots(), key=lambda s: (s.sequence_number or 0, s.timestamp_ms))
    keep = {s.snapshot_id for s in ordered[-max(retain_last, 1) :]} | _bookkeeping(table)
    keep |= {ref.snapshot_id for ref in table.metadata.refs.values()}
    doomed = [
        s.snapshot_id for s in ordered if s.timestamp_ms < cutoff_ms and s.snapshot_id not in keep
    ]
    name = table.name()[-1]
    if doomed:
        try:
            table.maintenance.expire_snapshots().by_ids(doomed).commit()
        except CommitFailedException as e:
            raise CommitError(f"{name} changed while its snapshots were expired: {e}") from e
    return ExpireResult(name, len(doomed), len(ordered) - len(doomed), doomed)


def _bookkeeping(table: Table) -> set[int]:
    """The current snapshot and its ancestors back to the newest carrier of every landing
    bookkeeping key any of them holds."""
    needed: set[int] = set()
    seen_keys: set[str] = set()
    chain = []
    snapshot = table.current_snapshot()
    while snapshot is not None:
        chain.append(snapshot.snapshot_id)
        keys = {k for k in properties_of(snapshot) if k.startswith(CARRIED)}
        if keys - seen_keys:
            needed.update(chain)  # everything up to this carrier must stay linked
            seen_keys |= keys
        parent = snapshot.parent_snapshot_id
        snapshot = None if parent is None else table.snapshot_by_id(parent)
    current = table.current_snapshot()
    if current is not None:
        needed.add(current.snapshot_id)
    return needed
