"""The schema string Confluent's registry returns for a Protobuf schema, printed from the file
descriptor protoc compiled: ``ProtobufSchemaUtils.toString`` of the parsed file (syntax,
package, imports, options, messages then enums, services; two-space indents).

Hand-written because no library prints Confluent's layout: protoc prints no text and
``protobuf`` only descriptors. Names and labels are printed as the text wrote them (from the
descriptor's source info); a descriptor sent without source (a base64 ``FileDescriptorProto``,
as Confluent's serializers send) prints full names with a leading dot, as Confluent does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.protobuf import descriptor_pb2 as pb
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet

_MAX_TAG = 536_870_911
_MAP = re.compile(r"map\s*<\s*([\w.]+)\s*,\s*([\w.]+)\s*>")
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\v": "\\v", "\\": "\\\\", "'": "\\'", '"': '\\"'}  # fmt: skip
_KEYWORDS = {  # FieldDescriptorProto.Type -> how .proto text spells it
    v: k.removeprefix("TYPE_").lower() for k, v in pb.FieldDescriptorProto.Type.items()
}
_LABELS = {pb.FieldDescriptorProto.LABEL_OPTIONAL: "optional",
           pb.FieldDescriptorProto.LABEL_REQUIRED: "required",
           pb.FieldDescriptorProto.LABEL_REPEATED: "repeated"}  # fmt: skip
Path = tuple[int, ...]
T = TypeVar("T")


@dataclass
class Source:
    """What the text wrote where: descriptor path -> the text of its span."""

    spans: dict[Path, str] = field(default_factory=dict)
    starts: dict[Path, tuple[int, int]] = field(default_factory=dict)

    @staticmethod
    def of(file: pb.FileDescriptorProto, text: str) -> Source:
        lines = text.split("\n")
        source = Source()
        for loc in file.source_code_info.location:
            span = list(loc.span)
            if len(span) == 3:
                span.insert(2, span[0])
            line, col, end_line, end_col = span
            if line == end_line and line < len(lines):
                source.spans.setdefault(tuple(loc.path), lines[line][col:end_col])
            source.starts.setdefault(tuple(loc.path), (line, col))
        return source

    def written(self, path: Path) -> str | None:
        return self.spans.get(path)


def escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


def indented(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.rstrip("\n").split("\n"))


def confluent_string(file: pb.FileDescriptorProto, source: Source | None = None) -> str:
    """Confluent's canonical text of ``file``; ``source``: what its text wrote, if known."""
    return _Printer(file, source or Source()).file()


def normalized_string(file: pb.FileDescriptorProto) -> str:
    """Confluent's ``normalize``: full type names, fields, constants, oneofs, imports and
    options sorted, no ``syntax`` line for proto2."""
    return _Printer(file, Source(), normalize=True).file()


class _Printer:
    def __init__(self, file: pb.FileDescriptorProto, source: Source, normalize: bool = False):
        self.f = file
        self.src = source
        self.maps = _map_entries(file)
        self.normalize = normalize

    def sort(self, items: list[T], key: Callable[[T], Any]) -> list[T]:
        return sorted(items, key=key) if self.normalize else items

    def file(self) -> str:
        f, out = self.f, []
        if f.syntax == "proto3" or (not self.normalize and (f.syntax or self.src.written((12,)))):
            out.append(f'syntax = "{f.syntax or "proto2"}";\n')
        if f.package:
            out.append(f"package {f.package};\n")
        public = set(f.public_dependency)
        imports = [d for i, d in enumerate(f.dependency) if i not in public]
        publics = [f.dependency[i] for i in sorted(public)]
        if self.normalize:
            imports, publics = sorted(set(imports)), sorted(set(publics))
        if f.dependency:
            out.append("\n" + "".join(f'import "{d}";\n' for d in imports))
            out.append("".join(f'import public "{d}";\n' for d in publics))
        options = self.options(f.options, (8,))
        if options:
            out.append("\n" + "".join(f"option {o};\n" for o in options))
        types = [self.message(m, (4, i)) for i, m in enumerate(f.message_type)]
        types += [self.enum(e, (5, i)) for i, e in enumerate(f.enum_type)]
        if types:
            out.append("\n" + "".join(types))
        if f.service:
            out.append("\n" + "".join(self.service(s, (6, i)) for i, s in enumerate(f.service)))
        return "".join(out)

    def message(self, m: pb.DescriptorProto, path: Path) -> str:
        out = [f"message {m.name} {{"]
        reserved = [_range(r.start, r.end - 1) for r in m.reserved_range]
        reserved += [f'"{n}"' for n in m.reserved_name]
        if reserved:
            out.append("\n" + "".join(indented(f"reserved {r};") for r in reserved))
        options = self.options(m.options, (*path, 7))
        if options:
            out.append("\n" + "".join(indented(f"option {o};") for o in options))
        synthetic = {f.oneof_index for f in m.field if f.proto3_optional}
        plain = [(i, f) for i, f in enumerate(m.field)
                 if not f.HasField("oneof_index") or f.proto3_optional]  # fmt: skip
        plain = self.sort(plain, lambda pair: pair[1].number)
        if plain:
            out.append("\n" + "".join(indented(self.field(f, (*path, 2, i))) for i, f in plain))
        oneofs = []
        for k, oneof in enumerate(m.oneof_decl):
            members = [(i, f) for i, f in enumerate(m.field)
                       if f.HasField("oneof_index") and f.oneof_index == k]  # fmt: skip
            if k in synthetic or not members:
                continue
            members = self.sort(members, lambda pair: pair[1].number)
            body = "".join(indented(self.field(f, (*path, 2, i), True)) for i, f in members)
            oneofs.append((members[0][1].number, f"oneof {oneof.name} {{\n{body}}}\n"))
        if oneofs:
            ordered = self.sort(oneofs, lambda pair: pair[0])
            out.append("\n" + "".join(indented(o) for _, o in ordered))
        if m.extension_range:
            ranges = [_range(r.start, r.end - 1) for r in m.extension_range]
            out.append("\n" + "".join(indented(f"extensions {r};") for r in ranges))
        nested = [self.message(n, (*path, 3, i)) for i, n in enumerate(m.nested_type)
                  if not n.options.map_entry]  # fmt: skip
        nested += [self.enum(e, (*path, 4, i)) for i, e in enumerate(m.enum_type)]
        if nested:
            out.append("\n" + "".join(indented(n) for n in nested))
        return "".join(out) + "}\n"

    def field(self, f: pb.FieldDescriptorProto, path: Path, in_oneof: bool = False) -> str:
        kind = self.type_of(f, path)
        label = None if in_oneof or kind.startswith("map<") else self.label(f, path)
        options = self.options(f.options, (*path, 8))
        if f.HasField("default_value") and self.f.syntax != "proto3":
            value = f.default_value
            quoted = f.type == pb.FieldDescriptorProto.TYPE_STRING
            options.append(f'default = "{escape(value)}"' if quoted else f"default = {value}")
        written = self.src.written((*path, 10)) if self.src.spans else None
        if f.HasField("json_name") and (written or f.json_name != default_json_name(f.name)):
            options.append(f'json_name = "{escape(f.json_name)}"')
        line = f"{label + ' ' if label else ''}{kind} {f.name} = {f.number}"
        return f"{line}{' ' + _bracketed(options) if options else ''};\n"

    def label(self, f: pb.FieldDescriptorProto, path: Path) -> str | None:
        if self.src.spans:
            return self.src.written((*path, 4))
        if f.proto3_optional:
            return "optional"
        if self.f.syntax == "proto3" and f.label != pb.FieldDescriptorProto.LABEL_REPEATED:
            return None
        return _LABELS[f.label]

    def type_of(self, f: pb.FieldDescriptorProto, path: Path | None) -> str:
        written = None if path is None else self.src.written((*path, 6))
        if written is not None:
            shape = _MAP.fullmatch(written)
            return f"map<{shape[1]}, {shape[2]}>" if shape else written
        entry = self.maps.get(f.type_name)
        if entry is not None:
            key, value = (self.type_of(e, None) for e in entry.field)
            return f"map<{key}, {value}>"
        return str(f.type_name or _KEYWORDS[f.type])

    def enum(self, e: pb.EnumDescriptorProto, path: Path) -> str:
        out = [f"enum {e.name} {{"]
        reserved = [_range(r.start, r.end) for r in e.reserved_range]
        reserved += [f'"{n}"' for n in e.reserved_name]
        if reserved:
            out.append("\n" + "".join(indented(f"reserved {r};") for r in reserved))
        options = self.options(e.options, (*path, 3))
        if not reserved and (options or e.value):
            out.append("\n")
        out += [indented(f"option {o};") for o in options]
        for i, v in self.sort(list(enumerate(e.value)), lambda p: (p[1].number, p[1].name)):
            value_options = self.options(v.options, (*path, 2, i, 3))
            tail = f" {_bracketed(value_options)}" if value_options else ""
            out.append(indented(f"{v.name} = {v.number}{tail};"))
        return "".join(out) + "}\n"

    def service(self, s: pb.ServiceDescriptorProto, path: Path) -> str:
        out = [f"service {s.name} {{"]
        options = self.options(s.options, (*path, 3))
        if options:
            out.append("\n" + "".join(indented(f"option {o};") for o in options))
        rpcs = []
        for i, m in enumerate(s.method):
            at = (*path, 2, i)
            given = self.src.written((*at, 2)) or m.input_type
            back = self.src.written((*at, 3)) or m.output_type
            given = ("stream " if m.client_streaming else "") + given
            back = ("stream " if m.server_streaming else "") + back
            rpc = f"rpc {m.name} ({given}) returns ({back})"
            rpc_options = self.options(m.options, (*at, 4))
            if rpc_options:
                rpc += " {\n" + "".join(indented(f"option {o};") for o in rpc_options) + "}"
            rpcs.append(indented(rpc + ";"))
        if rpcs:
            out.append("\n" + "".join(rpcs))
        return "".join(out) + "}\n"

    def options(self, options: Message, path: Path) -> list[str]:
        """``name = value`` of each option set, in the order the text wrote them; custom
        options (extensions) as the text wrote them."""
        found: list[tuple[tuple[int, int], str]] = []
        for descriptor, value in options.ListFields():
            if descriptor.name == "map_entry" or descriptor.message_type is not None:
                continue
            at = self.src.starts.get((*path, descriptor.number), (0, 0))
            found.append((at, f"{descriptor.name} = {_value(descriptor, value)}"))
        custom = {f.field_number for f in UnknownFieldSet(options)}  # extensions
        if custom:
            found += _custom(self.src, path, custom)
        ordered = sorted(found, key=lambda pair: pair[0])
        return self.sort([text for _, text in ordered], lambda text: text.split(" = ")[0])


def _custom(source: Source, path: Path, numbers: set[int]) -> list[tuple[tuple[int, int], str]]:
    """Custom options as the text wrote them (without a source they are not printed)."""
    found = []
    for at, text in source.spans.items():
        if len(at) == len(path) + 1 and at[: len(path)] == path and at[-1] in numbers:
            written = text.strip().removeprefix("option").strip().removesuffix(";").strip()
            found.append((source.starts[at], written))
    return found


def _value(descriptor: object, value: object) -> str:
    enum = getattr(descriptor, "enum_type", None)
    if enum is not None:
        return str(enum.values_by_number[value].name)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{escape(value)}"'
    return str(value)


def default_json_name(name: str) -> str:
    """The ``json_name`` protoc gives a field that sets none (lowerCamelCase)."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _range(start: int, last: int) -> str:
    if start == last:
        return str(start)
    return f"{start} to {last if last < _MAX_TAG else 'max'}"


def _bracketed(options: list[str]) -> str:
    if len(options) == 1:
        return f"[{options[0]}]"
    return "[\n" + "".join(indented(o + ("," if i < len(options) - 1 else ""))
                           for i, o in enumerate(options)) + "]"  # fmt: skip


def _map_entries(file: pb.FileDescriptorProto) -> dict[str, pb.DescriptorProto]:
    """Full name (with the leading dot) -> the synthetic entry message of each map field."""
    found: dict[str, pb.DescriptorProto] = {}

    def walk(messages: Iterable[pb.DescriptorProto], scope: str) -> None:
        for m in messages:
            name = f"{scope}.{m.name}"
            if m.options.map_entry:
                found[name] = m
            walk(m.nested_type, name)

    walk(file.message_type, f".{file.package}" if file.package else "")
    return found
