"""Per-subject and global settings: compatibility level and mode (subject's own, else global)."""

from __future__ import annotations

from registry import compatibility
from registry.compatibility import Level
from registry.errors import (
    InvalidSubjectError,
    OperationNotPermittedError,
    SubjectConfigNotFoundError,
    SubjectModeNotFoundError,
    SubjectNotFoundError,
)
from registry.ids import Subject, valid_subject
from registry.modes import DEFAULT_MODE, Mode, parse_mode
from registry.storage.base import COMPATIBILITY, LIVE, MODE, SOFT_DELETED, SchemaStore


class Policy:
    def __init__(self, store: SchemaStore) -> None:
        self._store = store

    def compatibility(self, subject: Subject | None, default_to_global: bool = True) -> Level:
        """The level in force for ``subject`` (its own, else the global one, else BACKWARD)."""
        own = self._store.setting(COMPATIBILITY, subject) if subject else None
        if own is not None:
            return Level(own)
        if subject and not default_to_global:
            raise SubjectConfigNotFoundError(
                f"Subject '{subject}' does not have subject-level compatibility configured"
            )
        found = self._store.setting(COMPATIBILITY, None)
        return Level(found) if found else compatibility.DEFAULT_LEVEL

    def set_compatibility(self, subject: Subject | None, level: object) -> Level:
        _check_subject(subject)
        parsed = compatibility.parse_level(level)
        self._store.set_setting(COMPATIBILITY, subject, parsed.value)
        return parsed

    def delete_compatibility(self, subject: Subject | None) -> Level:
        """Remove the setting; returns the level that was in force."""
        previous = self.compatibility(subject)
        self._store.delete_setting(COMPATIBILITY, subject)
        return previous

    def mode(self, subject: Subject | None, default_to_global: bool = True) -> Mode:
        """The mode in force for ``subject``; a global READONLY_OVERRIDE beats the subject's."""
        found = self._store.setting(MODE, None)
        global_mode = Mode(found) if found else DEFAULT_MODE
        own = self._store.setting(MODE, subject) if subject else None
        if own is not None:
            return global_mode if global_mode is Mode.READONLY_OVERRIDE else Mode(own)
        if subject and not default_to_global:
            raise SubjectModeNotFoundError(f"Subject '{subject}' does not have a mode configured")
        return global_mode

    def set_mode(self, subject: Subject | None, mode: object, force: bool = False) -> Mode:
        """IMPORT only on an empty registry (or subject), unless ``force``: imported ids
        would otherwise collide with ones already handed out."""
        _check_subject(subject)
        parsed = parse_mode(mode)
        if parsed is Mode.IMPORT and not force:
            if subject is None and self._store.subjects(SOFT_DELETED):
                raise OperationNotPermittedError(
                    "Cannot import since found existing subjects; set force=true to override"
                )
            if subject is not None and self._store.versions(subject, LIVE):
                raise OperationNotPermittedError(
                    f"Cannot import since subject '{subject}' has schemas; set force=true "
                    "to override"
                )
        self._store.set_setting(MODE, subject, parsed.value)
        return parsed

    def clear_mode(self, subject: Subject | None) -> None:
        """``{"mode": null}``: the subject (or global) setting goes, as Confluent's PUT."""
        _check_subject(subject)
        self._store.delete_setting(MODE, subject)

    def delete_mode(self, subject: Subject | None) -> Mode:
        """Remove the setting; returns the subject's own mode (the mode in force, globally).
        A subject without a mode of its own is 40401, as Confluent answers."""
        own = self._store.setting(MODE, subject) if subject else None
        if subject and own is None:
            raise SubjectNotFoundError(f"Subject '{subject}' not found.")
        previous = Mode(own) if own else self.mode(subject)
        self._store.delete_setting(MODE, subject)
        return previous


def _check_subject(subject: Subject | None) -> None:
    if subject is not None and not valid_subject(subject):
        raise InvalidSubjectError(f"The specified subject '{subject}' is not a valid.")
