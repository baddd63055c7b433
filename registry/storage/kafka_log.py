"""Kafka-backed store: the log is the source of truth, every instance replays it into a view.

Only the primary writes. A write is acknowledged once this instance has read it back from the
log and the fencing rules (:mod:`registry.log.view`) let it take effect; every other replica
then applies it identically.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from registry.errors import FencedError, PrimaryUnavailableError, StoreError
from registry.ids import SchemaId, Subject
from registry.log import records
from registry.log.election import Election
from registry.log.records import Change, Record, SettingChange, StateChange, Write
from registry.log.topic import ensure_log_topic
from registry.log.view import LogView
from registry.references import Reference
from registry.storage.base import (
    LIVE,
    NewVersion,
    SchemaStore,
    StoredSchema,
    SubjectVersion,
)

log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 10.0


class KafkaSchemaStore(SchemaStore):
    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        advertised_url: str,
        lease_s: float = 3.0,
        heartbeat_s: float = 0.5,
        replay_timeout_s: float = 60.0,
        replication_factor: int = 1,
    ) -> None:
        self.instance = uuid.uuid4().hex[:12]
        self.url = advertised_url
        self._topic = topic
        self._cluster_id: str | None = None
        self._view = LogView()
        self._changed = threading.Condition()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._caught_up = threading.Event()
        ensure_log_topic(bootstrap_servers, topic, replication_factor)
        self._producer = Producer({
            "bootstrap.servers": bootstrap_servers, "acks": "all", "enable.idempotence": True,
            "linger.ms": 0, "delivery.timeout.ms": int(WRITE_TIMEOUT_S * 1000), "log_level": 0,
        })  # fmt: skip
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap_servers, "group.id": f"registry-{self.instance}",
            "enable.auto.commit": False, "enable.partition.eof": True,
            "fetch.wait.max.ms": 10, "log_level": 0,
        })  # fmt: skip
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self._reader = threading.Thread(target=self._consume, name="registry-log", daemon=True)
        self._reader.start()
        if not self._caught_up.wait(replay_timeout_s):
            self.close()
            raise StoreError(
                f"could not replay the registry log {topic!r} within {replay_timeout_s} s"
            )
        log.info("registry log replayed", extra={"topic": topic, "offset": self.applied_offset,
                                                 "instance": self.instance})  # fmt: skip
        self._election = Election(self, lease_s, heartbeat_s)
        self._election.start()

    # ------------------------------------------------------------------ the log

    def _consume(self) -> None:
        while not self._stop.is_set():
            message = self._consumer.poll(0.1)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    self._caught_up.set()
                else:
                    log.warning("registry log read failed", extra={"error": str(error)})
                continue
            self._apply(message)

    def _apply(self, message: Message) -> None:
        try:
            record = records.decode(message.value() or b"")
        except records.RecordError as e:
            log.warning("skipping a foreign record", extra={"offset": message.offset(),
                                                            "error": str(e)})  # fmt: skip
            return
        with self._changed:
            was_primary = self.is_primary()
            self._view.apply(message.offset() or 0, record)
            if was_primary != self.is_primary():
                log.info("primacy changed", extra={"instance": self.instance,
                                                   "primary": self.is_primary(),
                                                   "epoch": self._view.epoch})  # fmt: skip
            self._changed.notify_all()

    def append(self, record: Record) -> int:
        """Produce ``record`` and wait for the broker's acknowledgement; returns its offset."""
        key, value = records.encode(record)
        done: dict[str, Any] = {}

        def delivered(error: KafkaError | None, message: Message) -> None:
            done["error"], done["offset"] = error, message.offset()

        self._producer.produce(self._topic, value, key, partition=0, on_delivery=delivered)
        self._producer.flush(WRITE_TIMEOUT_S)
        if not done or done["error"] is not None:
            raise StoreError(f"the registry log did not take the write: {done.get('error')}")
        return int(done["offset"])

    @property
    def applied_offset(self) -> int:
        with self._changed:
            return self._view.applied_offset

    def wait_applied(self, offset: int, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._view.applied_offset >= offset, timeout_s)

    # ------------------------------------------------------------------ primacy

    def is_primary(self) -> bool:
        primary = self._view.primary
        return primary is not None and primary.instance == self.instance

    def primary(self) -> tuple[str, str] | None:
        """(instance, url) of the primary the log names, if it can be alive.

        The primary is told by its instance id, not its URL: a claim that carries this
        instance's own URL under another id is a dead predecessor's (this process serves at that
        address now), so no primary is known until a new one is elected.
        """
        with self._changed:
            claim = self._view.primary
            if claim is None or (claim.url == self.url and claim.instance != self.instance):
                return None
            return claim.instance, claim.url

    def lease(self) -> tuple[int, str | None, float]:
        """(epoch, primary instance, when the primary was last heard of); no primary when the
        log names a dead predecessor of this instance (see ``primary``): it is claimed at once."""
        with self._changed:
            epoch, renewed = self._view.epoch, self._view.lease_renewed
        primary = self.primary()
        return epoch, None if primary is None else primary[0], renewed

    # ------------------------------------------------------------------ writes (primary only)

    def _write(self, change: Change) -> None:
        with self._changed:
            if not self.is_primary():
                raise PrimaryUnavailableError(
                    f"this registry instance ({self.url}) is not the primary"
                )
            write = Write(self._view.epoch, self.instance, uuid.uuid4().hex, change)
            self._view.awaiting.add(write.write_id)
        try:
            self.append(write)
            with self._changed:
                read_back = self._changed.wait_for(
                    lambda: write.write_id in self._view.outcomes, WRITE_TIMEOUT_S
                )
                refusal = self._view.outcomes.pop(write.write_id, None)
        finally:
            with self._changed:
                self._view.awaiting.discard(write.write_id)
        if not read_back:
            raise StoreError("the write was not read back from the registry log in time")
        if refusal is not None:
            log.warning("write fenced", extra={"instance": self.instance, "reason": refusal})
            raise FencedError(f"the write did not take effect: {refusal}")

    def register(self, new: NewVersion) -> SubjectVersion:
        with self._write_lock:
            with self._changed:
                plan = self._view.plan_register(new)
            if isinstance(plan, SubjectVersion):
                return plan
            self._write(plan)
            return SubjectVersion(new.subject, plan.version, SchemaId(plan.schema_id))

    def set_state(self, subject: Subject, versions: list[int], state: int) -> None:
        with self._write_lock:
            self._write(StateChange(subject, versions, state))

    def set_setting(self, kind: str, subject: Subject | None, value: str) -> None:
        with self._write_lock:
            self._write(SettingChange(kind, subject or "", value))

    def delete_setting(self, kind: str, subject: Subject | None) -> None:
        with self._write_lock:
            self._write(SettingChange(kind, subject or "", None))

    # ------------------------------------------------------------------ reads (any instance)

    def schema(self, schema_id: SchemaId) -> StoredSchema | None:
        with self._changed:
            return self._view.schema(schema_id)

    def kafka_cluster_id(self) -> str | None:
        if self._cluster_id is None:
            try:
                self._cluster_id = self._producer.list_topics(self._topic, timeout=5).cluster_id
            except KafkaException as e:
                raise StoreError(f"cannot read the Kafka cluster id: {e}") from e
        return self._cluster_id

    def max_schema_id(self) -> SchemaId | None:
        with self._changed:
            return self._view.max_schema_id()

    def find(
        self, subject: Subject, text: str, references: tuple[Reference, ...] = ()
    ) -> SubjectVersion | None:
        with self._changed:
            return self._view.find(subject, text, references)

    def versions(self, subject: Subject, max_state: int = LIVE) -> list[SubjectVersion]:
        with self._changed:
            return self._view.versions(subject, max_state)

    def subjects(self, max_state: int = LIVE) -> list[Subject]:
        with self._changed:
            return self._view.subjects(max_state)

    def usages(self, schema_id: SchemaId) -> list[SubjectVersion]:
        with self._changed:
            return self._view.usages(schema_id)

    def referenced_by(self, subject: Subject, version: int) -> list[SchemaId]:
        with self._changed:
            return self._view.referenced_by(subject, version)

    def setting(self, kind: str, subject: Subject | None) -> str | None:
        with self._changed:
            return self._view.setting(kind, subject)

    def close(self) -> None:
        self._stop.set()
        election = getattr(self, "_election", None)
        if election is not None:
            election.stop()
        self._reader.join(timeout=5)
        self._consumer.close()
        self._producer.flush(5)
