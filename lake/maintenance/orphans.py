"""Orphan files: data and metadata files under a table's location that nothing live references.

A writer that lost a commit race, a crashed write or an expiry (``lake.maintenance.expire``)
leaves files no snapshot reaches. Referenced are: the current metadata file and those in its
metadata log, statistics files, and for every live snapshot its manifest list, manifests and
the data files their live entries name. Only files under ``data/`` and ``metadata/`` older
than the safety age are deleted, so a commit in progress (its files written, not yet
committed) keeps them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyarrow import fs
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import ManifestFile
from pyiceberg.table import Table

from lake.errors import LakeError

_FOLDERS = ("data", "metadata")


@dataclass(frozen=True)
class OrphanResult:
    table: str
    removed: int  # files deleted
    bytes: int  # their total size
    removed_files: list[str]  # paths relative to the table's location


def remove_orphans(table: Table, older_than_s: float) -> OrphanResult:
    """Delete ``table``'s orphan files last modified more than ``older_than_s`` seconds ago."""
    table.refresh()
    io = table.io
    if not isinstance(io, PyArrowFileIO):
        raise LakeError(f"orphan cleanup needs pyarrow file IO, {table.name()[-1]} uses {io}")
    scheme, netloc, root = PyArrowFileIO.parse_location(table.location(), io.properties)
    filesystem = io.fs_by_scheme(scheme, netloc)
    live = referenced(table)
    cutoff_ns = int((time.time() - older_than_s) * 1e9)
    removed: list[str] = []
    size = 0
    for info in _files(filesystem, root.rstrip("/")):
        mtime = info.mtime_ns
        if info.path in live or mtime is None or mtime > cutoff_ns:
            continue
        filesystem.delete_file(info.path)
        removed.append(info.path.removeprefix(root.rstrip("/") + "/"))
        size += info.size or 0
    return OrphanResult(table.name()[-1], len(removed), size, sorted(removed))


def referenced(table: Table) -> set[str]:
    """Every file ``table``'s metadata references, as paths of its file system."""
    io = table.io
    metadata = table.metadata
    paths = {table.metadata_location, *(entry.metadata_file for entry in metadata.metadata_log)}
    paths |= {s.statistics_path for s in metadata.statistics}
    paths |= {s.statistics_path for s in metadata.partition_statistics}
    manifests: dict[str, ManifestFile] = {}
    for snapshot in table.snapshots():
        paths.add(snapshot.manifest_list)
        for manifest in snapshot.manifests(io):
            manifests.setdefault(manifest.manifest_path, manifest)
    for path, manifest in manifests.items():
        paths.add(path)
        entries = manifest.fetch_manifest_entry(io, discard_deleted=True)
        paths |= {entry.data_file.file_path for entry in entries}
    return {PyArrowFileIO.parse_location(p, io.properties)[2] for p in paths}


def _files(filesystem: fs.FileSystem, root: str) -> list[fs.FileInfo]:
    found: list[fs.FileInfo] = []
    for folder in _FOLDERS:
        selector = fs.FileSelector(f"{root}/{folder}", allow_not_found=True, recursive=True)
        found += [i for i in filesystem.get_file_info(selector) if i.type == fs.FileType.File]
    return found
