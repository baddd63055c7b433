"""One source partition's read models and the offset they cover, checkpointed as one message.

The book is what a projection worker owns per partition of ``orders``: every order's fold, the
customers' partial views, and ``next_offset``. It is written to the checkpoint topic as one
message (the stream workers' ``CheckpointStore``), so models and offset are durable together;
the partition's next owner restores the newest checkpoint and reads on from its offset. Events
it sees again after a crash fold to nothing (versions), so a replay never double-counts.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from datetime import datetime
from typing import Any

from streams.errors import CheckpointError
from streams.orders.aggregate import Fold, OrderState, Status
from streams.projections.read_models import CustomerOrders

MAGIC = b"TPB2"  # zlib-compressed JSON (a book of thousands of orders stays one message)
PLAIN = b"TPB1"  # uncompressed JSON, as the first versions wrote it


class PartitionBook:
    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.folds: dict[str, Fold] = {}
        self.customers: dict[str, CustomerOrders] = {}
        self.next_offset: int | None = None
        self.offsets: dict[str, list[int]] = {}  # order → offsets of its events (temporal queries)
        self.applied = 0  # events that moved an order (not duplicates or early ones)

    def add(self, event: dict[str, Any], offset: int) -> bool:
        """Fold one event read at ``offset``; True when it moved its order."""
        self.next_offset = offset + 1
        order_id = event["order_id"]
        self.offsets.setdefault(order_id, []).append(offset)
        fold = self.folds.get(order_id)
        if fold is None:
            fold = self.folds[order_id] = Fold(OrderState(order_id))
        before = fold.state
        if not fold.add(event):
            return False
        who = fold.state.customer_id or event["customer_id"]
        customer = self.customers.get(who)
        if customer is None:
            customer = self.customers[who] = CustomerOrders(who)
        customer.change(before, fold.state)
        self.applied += 1
        return True

    # -- checkpoints -----------------------------------------------------------------------
    def dump(self) -> bytes:
        body = {
            "partition": self.partition,
            "next_offset": self.next_offset,
            "orders": [
                {
                    "state": asdict(f.state),
                    "waiting": {str(v): _jsonable(e) for v, e in f.waiting.items()},
                    "duplicates": f.duplicates,
                    "seen": sorted(f.seen),
                    "offsets": self.offsets.get(f.state.order_id, []),
                }
                for f in self.folds.values()
            ],
            "customers": [
                {**asdict(c), "open_orders": sorted(c.open_orders)} for c in self.customers.values()
            ],
        }
        return MAGIC + zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    @classmethod
    def restore(cls, data: bytes) -> PartitionBook:
        if data.startswith(MAGIC):
            body = json.loads(zlib.decompress(data[len(MAGIC) :]))
        elif data.startswith(PLAIN):
            body = json.loads(data[len(PLAIN) :])
        else:
            raise CheckpointError("not a projection checkpoint (another version wrote it?)")
        book = cls(body["partition"])
        book.next_offset = body["next_offset"]
        for o in body["orders"]:
            s = o["state"]
            state = OrderState(**{**s, "status": Status(s["status"]), "items": tuple(s["items"])})
            waiting = {int(v): e for v, e in o["waiting"].items()}
            book.folds[state.order_id] = Fold(state, waiting, o["duplicates"], set(o["seen"]))
            book.offsets[state.order_id] = list(o.get("offsets", []))
        for c in body["customers"]:
            book.customers[c["customer_id"]] = CustomerOrders(
                **{**c, "open_orders": set(c["open_orders"])}
            )
        return book


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
