"""`POST /topics/{topic}` in the shape of Confluent's REST Proxy v2, answering per record.

Body: ``{"records": [{"key": "...", "value": {...}}]}``, values in Avro's JSON encoding (unions
as ``{"type": value}``). Each record is validated and published through the Publisher (outbox
fallback included); a refused record goes to ``<topic>.dlq`` and its entry in ``offsets``
carries the error. The answer waits for the broker's acknowledgements (up to a timeout).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import fastavro
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from producers.errors import RegistryUnavailableError, SchemaValidationError
from producers.ingest import decode_avro_json
from producers.publisher import Ack, Acknowledgement, Publisher
from producers.resilience.breaker import render_prometheus

MEDIA_TYPE = "application/vnd.kafka.v2+json"
INVALID_RECORD = 42203  # per-record error code in the offsets list
NOT_CONFIRMED = 50002  # per-record: neither acknowledged by the broker nor in the outbox yet
ANSWER_WITHIN_S = 10.0
MAX_BODY_BYTES = 4 * 1024 * 1024


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status, media_type=MEDIA_TYPE)


class RecordsEndpoint:
    """Publishes one request's records and collects their acknowledgements."""

    def __init__(
        self,
        publisher: Publisher,
        schemas: dict[str, dict[str, Any]],
        adopt: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self._publisher = publisher
        self._parsed = {t: fastavro.parse_schema(s) for t, s in schemas.items()}
        self._adopt = adopt  # the schema of a topic not given at start, or None: not served
        self._lock = threading.Lock()  # one request at a time uses the publisher's callbacks

    def serves(self, topic: str) -> bool:
        """True for a topic with a schema: given at start, or found by ``adopt`` (and kept)."""
        if topic in self._parsed:
            return True
        if self._adopt is None:
            return False
        with self._lock:
            schema = self._adopt(topic)
            if schema is None:
                return False
            self._parsed[topic] = fastavro.parse_schema(schema)
        return True

    def metrics(self) -> str:
        """Breaker states and publishing counters, Prometheus text format."""
        p = self._publisher
        with self._lock:
            counters = {"delivered": p.stats.delivered, "queued": p.stats.queued,
                        "replayed": p.stats.replayed}  # fmt: skip
            pending = p.pending()
        lines = ["# HELP tide_events_total Events by outcome.", "# TYPE tide_events_total counter"]
        lines += [f'tide_events_total{{outcome="{k}"}} {v}' for k, v in counters.items()]
        lines += ["# HELP tide_outbox_pending Events waiting in the outbox.",
                  "# TYPE tide_outbox_pending gauge", f"tide_outbox_pending {pending}"]  # fmt: skip
        breakers = render_prometheus([p.registry_breaker, p.broker_breaker])
        return "\n".join(lines) + "\n" + breakers

    def publish(self, topic: str, records: list[Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = [{} for _ in records]
        slots: dict[int, int] = {}

        def on_ack(ack: Acknowledgement) -> None:
            slot = slots.get(id(ack.event))
            if slot is not None:
                results[slot] = {"partition": ack.partition, "offset": ack.offset,
                                 "error_code": None, "error": None,
                                 "queued": ack.how is Ack.QUEUED}  # fmt: skip

        with self._lock:
            self._publisher.on_ack = on_ack
            try:
                events = [self._one(topic, i, r, slots, results) for i, r in enumerate(records)]
                self._publisher.wait_for(lambda: all(results), ANSWER_WITHIN_S)
                self._publisher.recover()  # probes a broker that was down, replays a step
            finally:
                self._publisher.on_ack = None
        del events  # kept alive until acknowledged, so id() stays unique
        for i, result in enumerate(results):
            if not result:  # in flight when the broker went away: neither delivered nor kept
                results[i] = {"partition": None, "offset": None, "error_code": NOT_CONFIRMED,
                              "error": "delivery not confirmed in time (the broker went away "
                                       "with the record in flight); send it again"}  # fmt: skip
        return results

    def _one(
        self, topic: str, i: int, record: Any, slots: dict[int, int], results: list[Any]
    ) -> dict[str, Any] | None:
        raw = json.dumps(record.get("value") if isinstance(record, dict) else record)
        try:
            if not isinstance(record, dict) or "value" not in record:
                raise SchemaValidationError("a record is an object with a 'value'")
            event = decode_avro_json(raw, self._parsed[topic])
            slots[id(event)] = i
            self._publisher.send(topic, str(record.get("key") or ""), event)
            return event
        except SchemaValidationError as e:
            self._publisher.dead_letter(topic, f"http:records[{i}]", str(e), raw.encode())
            results[i] = {"partition": None, "offset": None, "error_code": INVALID_RECORD,
                          "error": str(e)}  # fmt: skip
            return None


def create_app(endpoint: RecordsEndpoint) -> FastAPI:
    app = FastAPI(title="Tide REST ingestion", docs_url=None, redoc_url=None)

    @app.post("/topics/{topic}")
    async def produce(topic: str, request: Request) -> JSONResponse:
        try:
            served = await run_in_threadpool(endpoint.serves, topic)
        except RegistryUnavailableError as e:
            return _error(503, 50301, f"cannot look up the schema of topic {topic}: {e}")
        if not served:
            return _error(404, 40401, f"Topic {topic} not found.")
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _error(413, 41301, f"request body exceeds {MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            return _error(400, 40001, f"malformed JSON body: {e}")
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            return _error(422, 42201, 'the body must be {"records": [{"key":..,"value":..}]}')
        offsets = await run_in_threadpool(endpoint.publish, topic, records)
        return JSONResponse({"key_schema_id": None, "value_schema_id": None, "offsets": offsets},
                            media_type=MEDIA_TYPE)  # fmt: skip

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(endpoint.metrics())

    return app
