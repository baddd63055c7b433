"""Fuzz every route of the HTTP edge (in-process ASGI client, real SQLite file).

Routes are read from the app itself, so endpoints added later are fuzzed too. Each example
starts from a copy of one seeded database and sends a few requests; properties:
- no response is a 5xx (nor an exception out of the app);
- every 4xx is Confluent-shaped: a JSON object with an int ``error_code`` and a str ``message``;
- a refused write (4xx to POST/PUT/DELETE) leaves what the API shows unchanged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from registry.api.app import create_app
from registry.service import Registry
from registry.storage.sqlite import SqliteSchemaStore

VND = "application/vnd.schemaregistry.v1+json"
MIB = 1024 * 1024
WRITES = ("POST", "PUT", "DELETE")
# make chaos (TIDE_CHAOS=1) fuzzes longer than make test
EXAMPLES = 400 if os.environ.get("TIDE_CHAOS") == "1" else 80
FUZZ = settings(
    deadline=None,
    database=None,  # no .hypothesis/ directory in the tree; failures print their example
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # no explain phase: on Python 3.11 it traces every line, and a failure then took longer
    # than the test timeout to report (CI saw a timeout instead of the falsifying example);
    # no shrinking in make test either, for the same reason (make chaos shrinks)
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("TIDE_CHAOS") == "1" else []),
)


def _record(name: str, *fields: tuple[str, Any], **extra: Any) -> str:
    body = [{"name": n, "type": t} | ({"default": None} if t == ["null", "string"] else {})
            for n, t in fields]  # fmt: skip
    return json.dumps({"type": "record", "name": name, "fields": body} | extra)


A = _record("A", ("x", "int"))
A_EVOLVED = _record("A", ("x", "int"), ("y", ["null", "string"]))
A_BREAKING = _record("A", ("x", "int"), ("z", "string"))  # no default: not BACKWARD
B = _record("B", ("y", "string"))
B2 = _record("B", ("y", "long"))
C = _record("C", ("c", "double"), namespace="tide.fuzz")
UNI = _record("Uni", ("u", "string"), doc="ünï ✓ 主题")
USES_A = _record("UsesA", ("a", "A"))
UNICODE_SUBJECT = "ünï cødé ✓ 主题"
SEEDED = ["a-value", "b-value", "gone-value", UNICODE_SUBJECT, "uses-a-value", "ro-value",
          "import-value", "p.proto", "uses-p-value"]  # fmt: skip
VALID_SCHEMAS = [
    A, A_EVOLVED, A_BREAKING, B, B2, C, UNI, USES_A, '"string"', '{"type": "int"}',
    '{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}',
    '{"type": "enum", "name": "E", "symbols": ["X", "Y"]}', '["null", "A"]',
]  # fmt: skip


# --- what to send -------------------------------------------------------------------------


class Reply(Protocol):
    """The parts of the test client's response the properties read."""

    status_code: int

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # percent-encoded
    params: tuple[tuple[str, str], ...]
    body: bytes | None
    content_type: str | None

    def __repr__(self) -> str:
        body: object = self.body
        if self.body is not None and len(self.body) > 300:
            body = f"<{len(self.body):,} bytes: {self.body[:80]!r}...>"
        return (f"Call({self.method} {self.path} params={list(self.params)} "
                f"content_type={self.content_type!r} body={body!r})")  # fmt: skip

    def send(self, client: TestClient) -> Reply:
        headers = {} if self.content_type is None else {"Content-Type": self.content_type}
        try:
            return client.request(
                self.method, self.path, params=list(self.params), content=self.body,
                headers=headers,
            )  # fmt: skip
        except Exception as e:
            raise AssertionError(f"the app raised {type(e).__name__}: {e} on {self!r}") from e


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # a template: /subjects/{subject}/versions
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app routes, except /metrics."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or context.path == "/metrics":
            continue
        path_params = tuple(p.name for p in route.dependant.path_params)
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", str(context.path))  # {subject:subject}
        query = tuple(p.alias for p in route.dependant.query_params)
        found += [Endpoint(m, template, path_params, query) for m in sorted(route.methods or ())]
    return found


def segment(value: str) -> str:
    """One path segment, percent-encoded (dots too, so '.' and '..' reach the app)."""
    return quote(value, safe="").replace(".", "%2E")


T = TypeVar("T")


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of ``choices``, each drawn in proportion to its weight."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


BIG_INTS = [0, -1, 1, 2, 3, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]
INTS = st.integers() | st.sampled_from(BIG_INTS)
JSON_LEAVES = st.none() | st.booleans() | INTS | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    JSON_LEAVES,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=10,
)
SUBJECTS = weighted(
    (3, st.sampled_from(SEEDED)),
    (1, st.text(max_size=20)),
    (1, st.sampled_from([
        "", ".", "..", "/", "%", "%2F", "?", "#", "\x00", "\n", " a-value", "A-VALUE", ":.ctx:a",
        ":.:", "__GLOBAL", "🦀" * 5, "a" * 5000, "ro-value ",
    ])),
)  # fmt: skip
VERSIONS = (
    st.sampled_from([
        "latest", "-1", "0", "1", "2", "3", "2147483647", "2147483648", "-2", "abc", "1.0", " 1",
        "+1", "1e3", "\uff11", "\u0663", "9" * 30, "-" + "9" * 30, "9" * 5000, "", "null", "true",
    ])
    | st.integers().map(str)
    | st.text(max_size=10)
)  # fmt: skip
IDS = weighted(
    (3, st.sampled_from([
        "1", "2", "3", "4", "0", "-1", "2147483648", "9223372036854775807", "9223372036854775808",
        "18446744073709551616", "-9223372036854775809", "9" * 30, "abc", "1.5", "1e3", "",
        "\u0661", "0x10", " 1",
    ])),
    (1, st.integers().map(str)),
    (1, st.text(max_size=10)),
)  # fmt: skip
QUERY_NAMES = [
    "deleted", "permanent", "verbose", "defaultToGlobal", "normalize", "fetchMaxId", "subject",
    "force", "format", "lookupDeletedSchema", "deletedOnly", "subjectPrefix", "offset", "limit",
    "latestOnly", "referenceFormat",
]  # fmt: skip
QUERY_VALUES = st.sampled_from([
    "true", "false", "True", "FALSE", "1", "0", "yes", "no", "on", "off", "", "null", "2", "-1",
    "latest", "a-value", "9" * 30, "-" + "9" * 30,
]) | st.text(max_size=12)  # fmt: skip
LEVELS = st.sampled_from([
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
    "NONE", "backward", "", "SIDEWAYS",
])  # fmt: skip
MODES = st.sampled_from(["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "import", "X"])
NAMES = st.sampled_from(["A", "B", "C", "tide.fuzz.C", "int", "null", "", "1bad", "a-b", "é"])


def _avro_node(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schema-shaped JSON, valid or not, so the Avro parser and checker get exercised."""
    opt = st.fixed_dictionaries
    field = opt({"name": NAMES, "type": kids}, optional={"default": JSON, "order": st.text()})
    logical = st.sampled_from(["decimal", "date", "time-millis", "timestamp-micros", "uuid",
                               "duration", "local-timestamp-millis", "nope"])  # fmt: skip
    return st.one_of(
        opt({"type": st.just("record"), "name": NAMES, "fields": st.lists(field, max_size=3)},
            optional={"namespace": NAMES, "aliases": st.lists(NAMES, max_size=2)}),
        opt({"type": st.just("enum"), "name": NAMES, "symbols": st.lists(NAMES | JSON, max_size=3)},
            optional={"default": JSON}),
        opt({"type": st.just("array"), "items": kids}, optional={"default": JSON}),
        opt({"type": st.just("map"), "values": kids}),
        opt({"type": st.just("fixed"), "name": NAMES, "size": INTS | JSON}),
        opt({"type": st.sampled_from(["bytes", "fixed", "int", "long", "string"]),
             "logicalType": logical},
            optional={"precision": INTS | JSON, "scale": INTS | JSON, "size": INTS,
                      "name": NAMES}),
        st.lists(kids, max_size=3),
        opt({"type": kids}),
    )  # fmt: skip


AVRO = st.recursive(
    st.sampled_from(["null", "boolean", "int", "long", "double", "bytes", "string", "A", "B"]),
    _avro_node,
    max_leaves=8,
)


PROTO = 'syntax = "proto3";\npackage fuzz;\nmessage P { string a = 1; int32 b = 2; }\n'
PROTO_PARTS = st.sampled_from([
    'syntax = "proto3";', 'syntax = "proto2";', 'syntax = "proto4";', "package fuzz;",
    'import "p.proto";', 'import "google/protobuf/timestamp.proto";', 'import "../x.proto";',
    "message P {", "message Q {", "}", "{", "string a = 1;", "int32 b = 2;", "int32 b = 1;",
    "required int64 c = 3;", "repeated P p = 4;", "map<string, P> m = 5;", "oneof o {",
    "enum E { Z = 0; }", "reserved 2 to max;", 'option java_package = "x";', "P q = 19000;",
    "google.protobuf.Timestamp t = 6;", "optional bytes d = 7;",
    "service S { rpc M (P) returns (P); }",
    "\x00", "é", "CgVhLnByb3Rv",
])  # fmt: skip
PROTO_TEXTS = st.sampled_from([PROTO, PROTO.replace("int32", "string")]) | st.lists(
    PROTO_PARTS, max_size=12
).map(" ".join)


def _deep_schema(depth: int) -> str:
    return '{"type": "array", "items": ' * depth + '"int"' + "}" * depth


SCHEMA_TEXTS = (
    st.sampled_from(VALID_SCHEMAS)
    | AVRO.map(json.dumps)
    | st.sampled_from([500, 5000, 50_000]).map(_deep_schema)
    | st.text(max_size=40)
    | PROTO_TEXTS
)
REFERENCES = JSON | st.lists(
    st.fixed_dictionaries(
        {},
        optional={"name": NAMES | JSON, "subject": SUBJECTS | JSON, "version": INTS | VERSIONS},
    ),
    max_size=3,
)
BODY_FIELDS = {
    "schema": SCHEMA_TEXTS | JSON,
    "schemaType": st.sampled_from(
        ["AVRO", "avro", "JSON", "PROTOBUF", "PROTOBUF", "protobuf", "", "XML"]
    )
    | JSON,
    "references": REFERENCES
    | st.sampled_from(
        [
            [{"name": "A", "subject": "a-value", "version": 1}],
            [{"name": "p.proto", "subject": "p.proto", "version": 1}],
        ]
    ),
    "compatibility": LEVELS | JSON,
    "compatibilityLevel": LEVELS | JSON,
    "mode": MODES | JSON,
    "id": INTS | JSON,
    "version": INTS | VERSIONS | JSON,
    "normalize": JSON,
    "metadata": JSON,
    "ruleSet": JSON,
}


def _sized(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (a valid schema plus padding)."""
    head = b'{"schema": ' + json.dumps(A).encode() + b', "padding": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


BROKEN = st.binary(max_size=64) | st.sampled_from([
    b"{", b'{"schema": ', b"\xff\xfe\x00", b'{"schema": "\xff"}', b"\x00", b"[]", b"null", b"1",
    b'"text"', b"{}{}", b'{"a": 1,}', b"NaN", b"\xef\xbb\xbf{}", "{}".encode("utf-16"),
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
])  # fmt: skip
HUGE = st.sampled_from([MIB - 64, MIB - 1, MIB, MIB + 1, MIB + 4096, 2 * MIB]).map(_sized)
ENCODED_JSON = JSON.map(lambda v: json.dumps(v).encode())
OBJECTS = st.fixed_dictionaries({}, optional=BODY_FIELDS).map(lambda v: json.dumps(v).encode())
WITH_SCHEMA = st.fixed_dictionaries(
    {"schema": SCHEMA_TEXTS}, optional={k: v for k, v in BODY_FIELDS.items() if k != "schema"}
).map(lambda v: json.dumps(v).encode())
WRITE_BODIES = weighted(
    (1, st.none()), (1, ENCODED_JSON), (4, WITH_SCHEMA), (3, OBJECTS), (1, BROKEN), (1, HUGE)
)
READ_BODIES = weighted((8, st.none()), (1, ENCODED_JSON), (1, OBJECTS), (1, BROKEN))
CONTENT_TYPES = st.sampled_from([
    VND, "application/json", None, "text/plain", "application/octet-stream",
    "application/vnd.schemaregistry+json", "application/json; charset=utf-16",
])  # fmt: skip


def _path_value(name: str) -> st.SearchStrategy[str]:
    lowered = name.lower()
    if "subject" in lowered:
        return SUBJECTS
    if "version" in lowered:
        return VERSIONS
    if "id" in lowered:
        return IDS
    return SUBJECTS | VERSIONS | IDS


@st.composite
def calls(draw: st.DrawFn, routes: list[Endpoint]) -> Call:
    endpoint = draw(st.sampled_from(routes))
    path = endpoint.path
    for name in endpoint.path_params:
        path = path.replace(f"{{{name}}}", segment(draw(_path_value(name))))
    other = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    method = draw(weighted((12, st.just(endpoint.method)), (1, other)))
    names = st.sampled_from(QUERY_NAMES + list(endpoint.query_params)) | st.text(max_size=6)
    params = draw(st.lists(st.tuples(names, QUERY_VALUES), max_size=3))
    body = draw(WRITE_BODIES if method in ("POST", "PUT") else READ_BODIES)
    return Call(method, path, tuple(params), body, draw(CONTENT_TYPES))


# --- where to send it ---------------------------------------------------------------------


@contextmanager
def client_for(database: Path) -> Iterator[TestClient]:
    store = SqliteSchemaStore(database)
    try:
        with TestClient(create_app(Registry(store))) as client:
            yield client
    finally:
        store.close()


def _seed(client: TestClient) -> None:
    def send(method: str, path: str, body: object = None) -> None:
        content = None if body is None else json.dumps(body)
        response = client.request(method, path, content=content, headers={"Content-Type": VND})
        assert response.status_code == 200, (method, path, response.text)

    for subject, schemas in (("a-value", [A, A_EVOLVED]), ("b-value", [B]),
                             ("gone-value", [C]), (UNICODE_SUBJECT, [UNI]),
                             ("ro-value", [B])):  # fmt: skip
        for schema in schemas:
            send("POST", f"/subjects/{segment(subject)}/versions", {"schema": schema})
    send("PUT", "/config/b-value", {"compatibility": "NONE"})
    send("POST", "/subjects/b-value/versions", {"schema": B2})
    send("DELETE", "/subjects/b-value/versions/1")
    send("DELETE", "/subjects/gone-value")
    refs = [{"name": "A", "subject": "a-value", "version": 1}]
    send("POST", "/subjects/uses-a-value/versions", {"schema": USES_A, "references": refs})
    proto = {"schema": PROTO, "schemaType": "PROTOBUF"}
    send("POST", "/subjects/p.proto/versions", proto)
    refs = [{"name": "p.proto", "subject": "p.proto", "version": 1}]
    importing = 'syntax = "proto3";\nimport "p.proto";\nmessage U { fuzz.P p = 1; }\n'
    send("POST", "/subjects/uses-p-value/versions",
         {"schema": importing, "schemaType": "PROTOBUF", "references": refs})  # fmt: skip
    send("PUT", "/mode/ro-value", {"mode": "READONLY"})
    send("PUT", "/mode/import-value", {"mode": "IMPORT"})


@dataclass(frozen=True)
class Seeded:
    """A seeded database to copy for each example, and the app's routes."""

    template: Path
    routes: list[Endpoint]

    def __repr__(self) -> str:  # hypothesis prints it with every failing example
        return f"Seeded({self.template.name}, {len(self.routes)} routes)"


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    template = tmp_path / "seeded.sqlite"
    with client_for(template) as client:
        assert isinstance(client.app, FastAPI)
        routes = endpoints(client.app)
        _seed(client)
    return Seeded(template, routes)


@contextmanager
def fresh_client(template: Path) -> Iterator[TestClient]:
    database = template.with_name(f"{uuid4().hex}.sqlite")
    shutil.copyfile(template, database)
    try:
        with client_for(database) as client:
            yield client
    finally:
        for leftover in database.parent.glob(f"{database.name}*"):
            leftover.unlink()


# --- properties ---------------------------------------------------------------------------


def check_response(call: Call, response: Reply) -> None:
    status = response.status_code
    assert status < 500, f"{status} {response.text[:500]!r} for {call!r}"
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            pytest.fail(f"{status} with a non-JSON body {response.text[:200]!r} for {call!r}")
        assert isinstance(body, dict), f"{status} {body!r} for {call!r}"
        assert type(body.get("error_code")) is int, f"{status} {body!r} for {call!r}"
        assert isinstance(body.get("message"), str), f"{status} {body!r} for {call!r}"


@settings(FUZZ, max_examples=EXAMPLES)
@given(data=st.data())
def test_no_5xx_and_errors_are_confluent_shaped(seeded: Seeded, data: st.DataObject) -> None:
    sequence = data.draw(st.lists(calls(seeded.routes), min_size=1, max_size=6), label="calls")
    with fresh_client(seeded.template) as client:
        for call in sequence:
            check_response(call, call.send(client))


def snapshot(client: TestClient, routes: list[Endpoint]) -> dict[str, object]:
    """What the API shows: every parameterless GET, and every per-subject GET per subject."""
    shown: dict[str, object] = {}
    listed = client.get("/subjects", params={"deleted": "true"}).json()
    for subject in sorted(set(listed) | set(SEEDED)):
        for route in routes:
            if route.method == "GET" and route.path_params == ("subject",):
                path = route.path.replace("{subject}", segment(subject))
                got = client.get(path, params={"deleted": "true"})
                shown[path] = (got.status_code, got.text)
    for route in routes:
        if route.method == "GET" and not route.path_params:
            got = client.get(route.path, params={"deleted": "true"})
            shown[route.path] = (got.status_code, got.text)
    return shown


@settings(FUZZ, max_examples=max(EXAMPLES // 4, 20))
@given(data=st.data())
def test_refused_writes_change_nothing(seeded: Seeded, data: st.DataObject) -> None:
    routes = seeded.routes
    writes = [e for e in routes if e.method in WRITES]
    sequence = data.draw(st.lists(calls(writes), min_size=1, max_size=3), label="calls")
    with fresh_client(seeded.template) as client:
        before: dict[str, object] | None = None
        for call in sequence:
            if call.method not in WRITES:
                continue
            before = before or snapshot(client, routes)
            response = call.send(client)
            check_response(call, response)
            if 400 <= response.status_code < 500:
                after = snapshot(client, routes)
                changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
                assert not changed, f"{call!r} was refused but changed {sorted(changed)}"
                before = after
            else:
                before = None
