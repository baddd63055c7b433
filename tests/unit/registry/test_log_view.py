"""The fencing rules of the replicated log, applied to hand-made record sequences."""

from __future__ import annotations

import pytest

from registry.errors import ImportConflictError
from registry.ids import SchemaId, Subject
from registry.log import records
from registry.log.records import Claim, Heartbeat, Record, Register, StateChange, Write
from registry.log.view import LogView
from registry.storage.base import NewVersion

S = Subject("s")


def replay(log: list[Record]) -> LogView:
    view = LogView()
    for offset, record in enumerate(log):
        view.apply(offset, records.decode(records.encode(record)[1]))  # through the wire form
    return view


def reg(subject: str, version: int, schema_id: int, text: str) -> Register:
    return Register(subject, version, schema_id, "AVRO", text, [])


def write(epoch: int, instance: str, change: Register | StateChange, wid: str = "w") -> Write:
    return Write(epoch, instance, f"{wid}-{epoch}-{instance}", change)


def ids(view: LogView) -> dict[int, str]:
    return {i: view.schema(SchemaId(i)).text for i in range(1, 10) if view.schema(SchemaId(i))}  # type: ignore[union-attr]


def test_first_claim_for_an_epoch_wins_a_duel() -> None:
    view = replay([Claim(1, "a", "http://a"), Claim(1, "b", "http://b"), Claim(3, "c", "x")])
    assert (view.epoch, view.primary and view.primary.instance) == (1, "a")


def test_a_deposed_primarys_late_write_never_takes_effect() -> None:
    log: list[Record] = [
        Claim(1, "a", "http://a"),
        write(1, "a", reg("s", 1, 1, '"int"')),
        Claim(2, "b", "http://b"),  # b takes over while a is paused
        write(1, "a", reg("t", 1, 2, '"long"')),  # a wakes up and assigns id 2: fenced
        write(2, "b", reg("u", 1, 2, '"string"')),  # b assigns id 2 to another schema
    ]
    view = replay(log)
    assert ids(view) == {1: '"int"', 2: '"string"'}
    assert view.subjects() == ["s", "u"]


def test_writes_of_a_non_primary_or_of_a_later_epoch_are_ignored() -> None:
    log: list[Record] = [
        write(1, "a", reg("s", 1, 1, '"int"')),  # before any claim
        Claim(1, "a", "http://a"),
        write(1, "b", reg("s", 1, 1, '"int"')),  # b is not the primary
        write(2, "a", reg("s", 1, 1, '"int"')),  # not a's epoch
    ]
    assert replay(log).subjects() == []


def test_inconsistent_writes_are_refused_even_from_the_primary() -> None:
    view = LogView()
    view.awaiting.update({"w2-1-a", "w3-1-a", "w4-1-a"})
    log: list[Record] = [
        Claim(1, "a", "http://a"),
        write(1, "a", reg("s", 1, 1, '"int"'), "w1"),
        write(1, "a", reg("t", 1, 1, '"long"'), "w2"),  # id 1 already names "int"
        write(1, "a", reg("s", 1, 2, '"long"'), "w3"),  # version 1 of s exists
        write(1, "a", reg("t", 1, 2, '"long"'), "w4"),  # fine
    ]
    for offset, record in enumerate(log):
        view.apply(offset, record)
    assert view.outcomes["w2-1-a"] == "id 1 already names another schema"
    assert view.outcomes["w3-1-a"] == "version 1 of 's' already exists"
    assert view.outcomes["w4-1-a"] is None
    assert ids(view) == {1: '"int"', 2: '"long"'}


def test_heartbeats_renew_only_the_current_primarys_lease() -> None:
    now = [0.0]
    view = LogView(clock=lambda: now[0])
    view.apply(0, Claim(1, "a", "http://a"))
    now[0] = 5.0
    view.apply(1, Heartbeat(1, "b"))
    view.apply(2, Heartbeat(0, "a"))
    assert view.lease_renewed == 0.0
    view.apply(3, Heartbeat(1, "a"))
    assert view.lease_renewed == 5.0


def test_planning_allocates_past_every_id_and_version_ever_used() -> None:
    view = replay([
        Claim(1, "a", "http://a"),
        write(1, "a", reg("s", 1, 7, '"int"'), "w1"),  # an imported id
        write(1, "a", reg("s", 2, 8, '"long"'), "w2"),
        write(1, "a", StateChange("s", [2], 2), "w3"),  # version 2 hard-deleted
    ])  # fmt: skip
    plan = view.plan_register(NewVersion(S, "AVRO", '"string"'))
    assert isinstance(plan, Register)
    assert (plan.schema_id, plan.version) == (9, 3)
    again = view.plan_register(NewVersion(S, "AVRO", '"long"'))  # deleted before: same id,
    assert isinstance(again, Register)  # a new version number (numbers are never reused)
    assert (again.schema_id, again.version) == (8, 3)
    with pytest.raises(ImportConflictError):
        view.plan_register(NewVersion(Subject("x"), "AVRO", '"double"', schema_id=SchemaId(7)))


def test_replicas_replaying_the_same_log_agree() -> None:
    log: list[Record] = [Claim(1, "a", "u")]
    log += [write(1, "a", reg(f"s{i}", 1, i + 1, f'"{i}"'), f"w{i}") for i in range(5)]
    log += [Claim(2, "b", "v"), write(1, "a", reg("late", 1, 6, '"x"'), "late")]
    first, second = replay(log), replay(log)
    assert ids(first) == ids(second)
    assert first.subjects() == second.subjects() == [f"s{i}" for i in range(5)]
