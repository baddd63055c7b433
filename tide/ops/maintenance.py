"""Lake table maintenance as the CLI runs it: expire snapshots, delete orphan files, compact."""

from __future__ import annotations

from pyiceberg.table import Table

from lake.maintenance.compact import CompactResult, compact
from lake.maintenance.expire import ExpireResult, expire_snapshots
from lake.maintenance.orphans import OrphanResult, remove_orphans
from lake.tables import load_table
from tide.ops.lake import catalog
from tide.settings import TideSettings


def _table(settings: TideSettings, name: str) -> Table:
    return load_table(catalog(settings), settings.lake.namespace, name)


def expire(
    settings: TideSettings, name: str, older_than_s: float, retain_last: int
) -> ExpireResult:
    """Expire lake table ``name``'s snapshots older than ``older_than_s`` (lake.maintenance)."""
    return expire_snapshots(_table(settings, name), older_than_s, retain_last)


def orphans(settings: TideSettings, name: str, older_than_s: float) -> OrphanResult:
    """Delete lake table ``name``'s unreferenced files older than ``older_than_s``."""
    return remove_orphans(_table(settings, name), older_than_s)


def compaction(settings: TideSettings, name: str, target_size: int) -> CompactResult:
    """Rewrite lake table ``name``'s small files per partition, in one commit."""
    return compact(_table(settings, name), target_size)
