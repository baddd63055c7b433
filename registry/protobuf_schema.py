"""Protobuf schemas (``schemaType: PROTOBUF``): ``.proto`` text, or a base64
``FileDescriptorProto`` as Confluent's serializers send, compiled by protoc (``grpcio-tools``,
in process) with the referenced files as its imports.

A reference's ``name`` is the import path it satisfies (``import "acme/address.proto"``);
Google's well-known types (``google/protobuf/*.proto``) need no reference, as in Confluent's.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import grpc_tools
from google.protobuf import descriptor_pb2 as pb
from google.protobuf.message import DecodeError
from grpc_tools import _protoc_compiler, protoc

from registry.errors import InvalidSchemaError
from registry.protobuf_text import (
    Source,
    confluent_string,
    default_json_name,
    normalized_string,
)
from registry.references import Dependency

MAIN = "schema.proto"  # where the schema itself is compiled (not a valid reference name)
_WELL_KNOWN = str(Path(grpc_tools.__file__).parent / "_proto")
_COMPILING = threading.Lock()  # protoc keeps process-wide state; one compilation at a time


@dataclass(frozen=True)
class ProtoModel:
    """The compiled file and every file it imports (by import path)."""

    file: pb.FileDescriptorProto
    imports: dict[str, pb.FileDescriptorProto] = field(default_factory=dict)

    def serialized(self) -> str:
        """Confluent's ``format=serialized``: the base64 ``FileDescriptorProto``."""
        bare = pb.FileDescriptorProto()
        bare.CopyFrom(self.file)
        bare.ClearField("source_code_info")
        _drop_json_names(bare.message_type)
        return base64.standard_b64encode(bare.SerializeToString()).decode("ascii")


def parse(
    text: str, dependencies: Sequence[Dependency] = (), normalize: bool = False
) -> tuple[str, ProtoModel]:
    """Validate ``text`` and return (Confluent's canonical text, the compiled model);
    ``normalize``: the text in Confluent's normalized form."""
    form, model = _parse(text, dependencies)
    return (normalized_string(model.file) if normalize else form), model


def _parse(text: str, dependencies: Sequence[Dependency]) -> tuple[str, ProtoModel]:
    try:
        return _compiled(text, dependencies)
    except InvalidSchemaError as error:
        given = _descriptor(text)
        if given is None:
            raise
        if given.name == MAIN or not given.name:
            given.name = "given.proto"
        return _compiled(confluent_string(given), dependencies, error)


def _descriptor(text: str) -> pb.FileDescriptorProto | None:
    """``text`` as a base64 FileDescriptorProto, if it is one."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        if not raw:
            return None
        return pb.FileDescriptorProto.FromString(raw)
    except (binascii.Error, ValueError, DecodeError):
        return None


def _compiled(
    text: str, dependencies: Sequence[Dependency], first: InvalidSchemaError | None = None
) -> tuple[str, ProtoModel]:
    with _COMPILING, tempfile.TemporaryDirectory(prefix="tide-proto-") as root:
        for dependency in dependencies:
            _write(root, _checked_name(dependency.name), dependency.text)
        _write(root, MAIN, text)
        _check(root, first)
        out = os.path.join(root, "out.pb")
        args = ["protoc", f"-I{root}", f"-I{_WELL_KNOWN}", "--include_imports",
                "--include_source_info", f"--descriptor_set_out={out}", MAIN]  # fmt: skip
        if protoc.main(args) != 0 or not os.path.exists(out):
            raise first or InvalidSchemaError("Could not parse Protobuf - protoc failed")
        files = pb.FileDescriptorSet.FromString(Path(out).read_bytes()).file
    main = files[-1]
    model = ProtoModel(main, {f.name: f for f in files[:-1]})
    return confluent_string(main, Source.of(main, text)), model


def _check(root: str, first: InvalidSchemaError | None) -> None:
    """protoc's complaints, as one 42201 (``first``: why the text did not parse as text)."""
    try:
        _protoc_compiler.get_protos(MAIN.encode(), [root.encode(), _WELL_KNOWN.encode()])
    except _protoc_compiler.ProtocErrors as e:
        where = []
        for error in e.errors():
            name = error.filename.decode(errors="replace")
            place = "" if name == MAIN else f"{name}: "
            if error.line >= 0:
                place += f"line {error.line + 1} column {error.column + 1}: "
            where.append(place + error.message.decode(errors="replace"))
        raise first or InvalidSchemaError(
            "Could not parse Protobuf - " + "; ".join(where or ["protoc failed"])
        ) from e


def _checked_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or name in (MAIN, "out.pb"):
        raise InvalidSchemaError(f"invalid Protobuf reference name {name!r} (an import path)")
    return name


def _write(root: str, name: str, text: str) -> None:
    target = Path(root, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.write_text(text, encoding="utf-8")
    except (OSError, UnicodeError) as e:
        raise InvalidSchemaError(f"Could not parse Protobuf - {name}: {e}") from e


def _drop_json_names(messages: Sequence[pb.DescriptorProto]) -> None:
    """protoc fills every ``json_name``; Confluent's descriptors carry only written ones."""
    for message in messages:
        for f in message.field:
            if f.json_name == default_json_name(f.name):
                f.ClearField("json_name")
        _drop_json_names(message.nested_type)
