"""The outbox on real SQLite: order, round trip of event values, durability across kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from producers.outbox import codec
from producers.outbox.store import Outbox

EVENT = {
    "event_id": uuid.UUID("0b9a4b8e-3b9a-4c52-a3f0-5b4f4c1e0c11"),
    "event_time": datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC),
    "referrer": None,
    "blob": b"\x00\xffraw",
    "payload": ("tide.orders.OrderPaid", {"amount_cents": 100, "lines": [1, 2]}),
}


def test_codec_round_trip() -> None:
    assert codec.loads(codec.dumps(EVENT)) == EVENT


def test_entries_replay_in_send_order_not_in_the_order_added(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite") as outbox:
        start = outbox.last_order()
        outbox.add_many(
            [("orders", "k", {"n": n}, None) for n in (2, 3)], orders=[start + 2, start + 3]
        )
        outbox.add_many([("orders", "k", {"n": 1}, None)], orders=[start + 1])  # failed late
        assert [e.event["n"] for e in outbox.pending(10)] == [1, 2, 3]
        assert outbox.last_order() == start + 3
        outbox.add("orders", "k", {"n": 4})  # no order given: after every entry
        assert [e.event["n"] for e in outbox.pending(10)] == [1, 2, 3, 4]


def test_an_outbox_written_before_send_orders_keeps_its_order(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
        "key TEXT NOT NULL, event TEXT NOT NULL, headers TEXT NOT NULL DEFAULT '{}', "
        "created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)"
    )
    for n in range(3):
        db.execute(
            "INSERT INTO outbox (topic, key, event, created_at) VALUES ('orders', 'k', ?, 0)",
            (codec.dumps({"n": n}),),
        )
    db.commit()
    db.close()
    with Outbox(path) as outbox:
        outbox.add("orders", "k", {"n": 3})
        assert [e.event["n"] for e in outbox.pending(10)] == [0, 1, 2, 3]


def test_order_ack_and_reopen(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite") as outbox:
        seqs = [outbox.add("orders", f"k{i % 3}", {**EVENT, "n": i}) for i in range(10)]
        assert seqs == sorted(seqs)
        outbox.ack(seqs[:4])
        assert outbox.keys_pending() == {("orders", "k0"), ("orders", "k1"), ("orders", "k2")}
    with Outbox(tmp_path / "o.sqlite") as again:
        pending = again.pending(100)
        assert [e.event["n"] for e in pending] == list(range(4, 10))
        assert pending[0].event["payload"] == EVENT["payload"]
        assert len(again) == 6


def test_concurrent_writers_keep_everything(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    threads = [
        threading.Thread(
            target=lambda t=t: [outbox.add("c", f"t{t}", {"i": i}) for i in range(200)]
        )
        for t in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = outbox.pending(10_000)
    assert len(entries) == 800
    for t in range(4):  # per key, in the order each writer added them
        assert [e.event["i"] for e in entries if e.key == f"t{t}"] == list(range(200))
    outbox.close()


CHILD = """
import sys
from pathlib import Path
from producers.outbox.store import Outbox
outbox = Outbox(Path(sys.argv[1]))
for i in range(100_000):
    seq = outbox.add("orders", "k", {"i": i})
    print(seq, flush=True)
"""


def test_acknowledged_adds_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True,
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert child.stdout is not None
    acknowledged = [int(child.stdout.readline()) for _ in range(300)]  # the condition: 300 acks
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    with Outbox(path) as outbox:
        present = {e.seq for e in outbox.pending(1_000_000)}
    assert set(acknowledged) <= present
