"""Protobuf compatibility: the differences Confluent's ``SchemaDiff`` reports between two
files and the ones it does not accept (``SchemaDiff.COMPATIBLE_CHANGES`` are allowed: messages
and enums added or moved, enums and their constants changed, fields added, removed or
renamed, string/bytes labels changed, oneofs added or removed, fields added to a oneof).

Hand-written (Confluent's rules are its own, no library implements them), over the
descriptors protoc compiled. ``old`` is Confluent's "original", ``new`` its "update".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2 as pb
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as F

from registry.protobuf_schema import ProtoModel

_SCALAR_KINDS = {
    F.TYPE_INT32: "GENERAL_NUMBER", F.TYPE_INT64: "GENERAL_NUMBER",
    F.TYPE_UINT32: "GENERAL_NUMBER", F.TYPE_UINT64: "GENERAL_NUMBER",
    F.TYPE_BOOL: "GENERAL_NUMBER", F.TYPE_ENUM: "GENERAL_NUMBER",
    F.TYPE_SINT32: "SIGNED_NUMBER", F.TYPE_SINT64: "SIGNED_NUMBER",
    F.TYPE_STRING: "STRING_OR_BYTES", F.TYPE_BYTES: "STRING_OR_BYTES",
    F.TYPE_FIXED32: "FIXED32", F.TYPE_SFIXED32: "FIXED32",
    F.TYPE_FIXED64: "FIXED64", F.TYPE_SFIXED64: "FIXED64",
    F.TYPE_FLOAT: "FLOAT", F.TYPE_DOUBLE: "DOUBLE",
}  # fmt: skip
_DESCRIPTIONS = {  # Confluent's Difference.error(), "%s" being new, then old
    "PACKAGE_CHANGED": "The package at '{}' in the new schema does not match the package in "
    "the old schema",
    "MESSAGE_REMOVED": "The new schema is missing a MESSAGE type at path '{}' in the old schema",
    "FIELD_KIND_CHANGED": "The type of a field at path '{}' in the new schema does not match "
    "the old schema",
    "FIELD_SCALAR_KIND_CHANGED": "The kind of a SCALAR field at path '{}' in the new schema "
    "does not match its kind in the old schema",
    "FIELD_NAMED_TYPE_CHANGED": "The type of a MESSAGE field at path '{}' in the new schema "
    "does not match its type in the old schema",
    "FIELD_NUMERIC_LABEL_CHANGED": "The label for a NUMERIC field at path '{}' in the new "
    "schema does not match its label in the old schema",
    "REQUIRED_FIELD_ADDED": "A required field  at path '{}' in the new schema is missing in the "
    "old schema",
    "REQUIRED_FIELD_REMOVED": "The new schema is missing a required field at path: '{}' in the "
    "old schema",
    "ONEOF_FIELD_REMOVED": "The new schema is missing a oneof field at path '{}' in the old schema",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "Multiple fields in the oneof at path '{}' in the new "
    "schema are outside a oneof in the old schema",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "A field in the oneof at path '{}' in the new schema is "
    "outside an existing oneof in the old schema",
}


@dataclass
class _Side:
    """One file with its imports: every message by full name (``.pkg.Outer.Inner``)."""

    model: ProtoModel
    messages: dict[str, tuple[pb.DescriptorProto, str]] = field(default_factory=dict)

    @staticmethod
    def of(model: ProtoModel) -> _Side:
        side = _Side(model)
        for file in [*model.imports.values(), model.file]:
            side.add(file.message_type, f".{file.package}" if file.package else "", file.package)
        return side

    def add(self, messages: list[pb.DescriptorProto], scope: str, package: str) -> None:
        for m in messages:
            self.messages[f"{scope}.{m.name}"] = (m, package)
            self.add(list(m.nested_type), f"{scope}.{m.name}", package)

    def map_entry(self, f: pb.FieldDescriptorProto) -> pb.DescriptorProto | None:
        found = self.messages.get(f.type_name)
        return found[0] if found and found[0].options.map_entry else None

    def proto3(self) -> bool:
        return bool(self.model.file.syntax == "proto3")


@dataclass
class _Diff:
    old: _Side
    new: _Side
    found: list[str] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, kind: str, path: str) -> None:
        self.found.append(
            f'{{errorType:"{kind}", description:"{_DESCRIPTIONS[kind].format(path)}"}}'
        )

    def types(
        self, old: list[pb.DescriptorProto], new: list[pb.DescriptorProto], path: str
    ) -> None:
        olds, news = {m.name: m for m in old}, {m.name: m for m in new}
        for name in sorted(olds.keys() | news.keys()):
            before, after = olds.get(name), news.get(name)
            if before is not None and after is None and not before.options.map_entry:
                self.add("MESSAGE_REMOVED", f"{path}{name}")
            elif before is not None and after is not None:
                self.message(before, after, f"{path}{name}")

    def message(self, old: pb.DescriptorProto, new: pb.DescriptorProto, path: str) -> None:
        old_plain, old_oneofs = _split(old)
        new_plain, new_oneofs = _split(new)
        old_in_oneofs = {n: f for fields in old_oneofs.values() for n, f in fields.items()}
        for name, fields in new_oneofs.items():
            moved = sum(1 for n in fields if old_plain.pop(n, None) is not None)
            existing = sum(1 for n in fields if n in old_in_oneofs)
            if moved > 1:
                self.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", f"{path}/{name}")
            elif moved == 1 and existing:
                self.add("FIELD_MOVED_TO_EXISTING_ONEOF", f"{path}/{name}")
        for name in sorted(old_oneofs.keys() & new_oneofs.keys()):
            before, after = old_oneofs[name], new_oneofs[name]
            for number in sorted(before.keys() | after.keys()):
                if number not in after:
                    self.add("ONEOF_FIELD_REMOVED", f"{path}/{name}/{number}")
                elif number in before:
                    self.field(before[number], after[number], f"{path}/{name}/{number}", True)
        for number in sorted(old_plain.keys() | new_plain.keys()):
            was, now = old_plain.get(number), new_plain.get(number)
            if now is None and was is not None and was.label == F.LABEL_REQUIRED:
                self.add("REQUIRED_FIELD_REMOVED", f"{path}/{number}")
            elif was is None and now is not None and now.label == F.LABEL_REQUIRED:
                self.add("REQUIRED_FIELD_ADDED", f"{path}/{number}")
            elif was is not None and now is not None:
                self.field(was, now, f"{path}/{number}")
        self.types(list(old.nested_type), list(new.nested_type), f"{path}/")

    def field(self, old: F, new: F, path: str, in_oneof: bool = False) -> None:
        old_label = None if in_oneof else _label(old, self.old.proto3())
        new_label = None if in_oneof else _label(new, self.new.proto3())
        self.typed(old, new, old_label, new_label, path)

    def typed(
        self, old: F, new: F, old_label: int | None, new_label: int | None, path: str
    ) -> None:
        old_map, new_map = self.old.map_entry(old), self.new.map_entry(new)
        kinds = (_kind(old, old_map), _kind(new, new_map))
        if kinds[0] != kinds[1]:
            self.add("FIELD_KIND_CHANGED", path)
        elif kinds[0] == "SCALAR":
            if _SCALAR_KINDS[old.type] != _SCALAR_KINDS[new.type]:
                self.add("FIELD_SCALAR_KIND_CHANGED", path)
            elif (
                None not in (old_label, new_label)
                and old_label != new_label
                and _SCALAR_KINDS[old.type] != "STRING_OR_BYTES"
            ):
                self.add("FIELD_NUMERIC_LABEL_CHANGED", path)
        elif kinds[0] == "MAP" and old_map is not None and new_map is not None:
            for before, after in zip(old_map.field, new_map.field, strict=True):
                self.typed(before, after, None, None, path)
        elif kinds[0] == "MESSAGE":
            self.named(old.type_name, new.type_name, path)

    def named(self, old_name: str, new_name: str, path: str) -> None:
        before, after = self.old.messages.get(old_name), self.new.messages.get(new_name)
        if before is None or after is None:
            if old_name != new_name:
                self.add("FIELD_NAMED_TYPE_CHANGED", path)
            return
        if _local(old_name, before[1]) != _local(new_name, after[1]):
            self.add("FIELD_NAMED_TYPE_CHANGED", path)
            return
        if (old_name, new_name) in self.seen:
            return
        self.seen.add((old_name, new_name))
        inner = _Diff(self.old, self.new, seen=self.seen)
        inner.message(before[0], after[0], "#/" + _local(old_name, before[1]))
        if inner.found:
            self.found += inner.found
            self.add("FIELD_NAMED_TYPE_CHANGED", path)


def incompatibilities(reader: ProtoModel, writer: ProtoModel) -> list[str]:
    """Why ``writer``'s data cannot be read with ``reader`` (Confluent's
    ``reader.isBackwardCompatible(writer)``): the incompatible differences from one to the
    other."""
    diff = _Diff(_Side.of(writer), _Side.of(reader))
    if writer.file.package != reader.file.package:
        diff.add("PACKAGE_CHANGED", "#/")
    diff.types(list(writer.file.message_type), list(reader.file.message_type), "#/")
    return diff.found


def _split(m: pb.DescriptorProto) -> tuple[dict[int, F], dict[str, dict[int, F]]]:
    """Fields outside a (real) oneof by number, and each oneof's fields by number."""
    plain: dict[int, F] = {}
    oneofs: dict[str, dict[int, F]] = {}
    for f in m.field:
        if f.HasField("oneof_index") and not f.proto3_optional:
            oneofs.setdefault(m.oneof_decl[f.oneof_index].name, {})[f.number] = f
        else:
            plain[f.number] = f
    return plain, oneofs


def _label(f: F, proto3: bool) -> int | None:
    """The label as the text wrote it (proto3 fields without one have none)."""
    if proto3 and f.label == F.LABEL_OPTIONAL and not f.proto3_optional:
        return None
    return int(f.label)


def _kind(f: F, entry: pb.DescriptorProto | None) -> str:
    if entry is not None:
        return "MAP"
    return "MESSAGE" if f.type in (F.TYPE_MESSAGE, F.TYPE_GROUP) else "SCALAR"


def _local(full_name: str, package: str) -> str:
    name = full_name.removeprefix(".")
    return name.removeprefix(f"{package}.") if package else name
