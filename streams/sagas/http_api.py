"""The saga API of one process: `GET /sagas/{id}`, `GET /sagas?state=`, `GET /participants/{role}`,
`/metrics`. Answers come from the partitions this process's members own (``complete`` says
whether that is all of them); the core knows nothing of HTTP.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.sagas import metrics
from streams.sagas.member import SagaMember
from streams.sagas.state import Outcome, SagaBook, view


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def _books(member: SagaMember) -> tuple[list[SagaBook], bool]:
    with member.lock:
        books = [s.logic for s in member.slots.values() if isinstance(s.logic, SagaBook)]
        return books, member.partitions > 0 and len(member.slots) == member.partitions


def create_app(members: dict[str, SagaMember]) -> FastAPI:
    app = FastAPI(title="Tide sagas", docs_url=None, redoc_url=None)
    state = members.get("state")

    @app.get("/sagas/{saga_id}")
    def saga(saga_id: str) -> JSONResponse:
        if state is None:
            return _error(404, "this process keeps no saga_state (run the state role)")
        books, complete = _books(state)
        with state.lock:
            found = next((b.sagas[saga_id] for b in books if saga_id in b.sagas), None)
            answer = None if found is None else view(found)
        if answer is None:
            return _error(404 if complete else 421, f"no saga {saga_id}"
                          + ("" if complete else " in the partitions owned here"))  # fmt: skip
        return JSONResponse(answer)

    @app.get("/sagas")
    def sagas(wanted: str | None = Query(None, alias="state")) -> JSONResponse:
        if state is None:
            return _error(404, "this process keeps no saga_state (run the state role)")
        if wanted is not None and wanted.upper() not in Outcome.__members__:
            return _error(422, f"state is one of {', '.join(o.lower() for o in Outcome)}")
        books, complete = _books(state)
        with state.lock:
            rows = [view(s) for b in books for s in b.sagas.values()
                    if wanted is None or s["outcome"] == wanted.upper()]  # fmt: skip
        return JSONResponse({"sagas": rows, "complete": complete})

    @app.get("/participants/{role}")
    def participant(role: str) -> JSONResponse:
        member = members.get(role)
        if member is None or role == "state":
            return _error(404, f"no participant {role} in this process")
        with member.lock:
            parts: dict[str, Any] = {str(p): s.logic.dump() for p, s in member.slots.items()}
        complete = len(parts) == member.partitions
        return JSONResponse({"partitions": parts, "complete": complete})

    @app.get("/metrics")
    def metrics_text() -> Response:
        if state is not None:
            books, _ = _books(state)
            with state.lock:
                counts = {o.value: 0 for o in Outcome}
                for b in books:
                    for s in b.sagas.values():
                        counts[s["outcome"]] += 1
            for outcome, n in counts.items():
                metrics.SAGAS.labels(outcome).set(n)
            metrics.PARKED.set(counts[Outcome.STUCK.value])
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
