"""The rebuild's comparison names every model where the live book and the replay disagree."""

from __future__ import annotations

from dataclasses import replace

from streams.orders.aggregate import Status
from streams.projections.book import PartitionBook
from streams.projections.rebuild import differences
from tests.unit.streams.test_read_models import lives


def book_of(events: list[dict[str, object]]) -> PartitionBook:
    book = PartitionBook(0)
    for offset, event in enumerate(events):
        book.add(event, offset)
    return book


def test_equal_books_have_no_differences_and_a_changed_one_is_named() -> None:
    events = [e for life in lives(200, seed=3).values() for e in life]
    live, fresh = book_of(events), book_of(events)
    assert differences(live, fresh) == []

    order_id = next(iter(live.folds))
    fold = live.folds[order_id]
    fold.state = replace(fold.state, status=Status.CANCELLED)  # a live model gone wrong
    who = next(iter(live.customers))
    live.customers[who].order_count += 1
    del live.folds[next(o for o in list(live.folds)[1:])]  # and one order missing from it
    found = differences(live, fresh)
    assert f"order_summary {order_id}" in found and f"customer_orders {who}" in found
    assert len(found) == 3
