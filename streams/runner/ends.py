"""Where the source partitions end, asked of their leaders — so that a stall never looks idle.

The reader's end-of-partition event says where a partition ended when the reader got there. A
fetch that stalls afterwards (its leader killed, a slow broker) delivers nothing, and on that
alone the partition would look caught up and silent, i.e. idle, while its new leader holds
records the reader has not seen: the others would then close windows those records belong to.
So before a partition counts as idle, the broker must confirm, recently, that it ends where the
reader is. ``EndWatch`` asks the leaders of every watched partition in one ListOffsets round
every ``every_s`` on a thread of its own (a dead leader must not block the run loop), with the
reader's isolation level, and keeps each answer with the time the question was asked. A round
that fails, wholly or for one partition (a leader moved: NOT_LEADER, FENCED_LEADER_EPOCH), is
followed by a fresh client: a new one asks the cluster where the leaders are now.

Tansu answers ListOffsets with the base offset of the last batch plus one, not the end of the
log; a reader positioned at a batch boundary is still behind exactly when it is below that
answer, so "caught up" is checked as ``answer <= position``, which holds on both brokers.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

log = logging.getLogger(__name__)


class EndWatch:
    """The newest broker-confirmed end of each watched partition of ``topic``."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        every_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.topic = topic
        self.every_s = every_s
        self._clock = clock
        self._config = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"tide-ends-{uuid.uuid4().hex}",  # never joins: no subscribe
            "enable.auto.commit": False,
            "isolation.level": "read_committed",  # as the reader: the end it can reach
            "log_level": 0,
        }
        self._consumer = Consumer(self._config)
        self._watched: tuple[int, ...] = ()
        self._answers: dict[int, tuple[float, int]] = {}  # partition → (asked at, end offset)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, partitions: Iterable[int]) -> None:
        """Ask about these partitions from the next round on (the ones this worker owns)."""
        self._watched = tuple(sorted(partitions))

    def end(self, partition: int, asked_since: float) -> int | None:
        """The end the broker reported for ``partition`` in answer to a question asked at or
        after ``asked_since``; None when there is no such answer (the leader did not answer)."""
        answer = self._answers.get(partition)
        if answer is None or answer[0] < asked_since:
            return None
        return answer[1]

    def refresh(self) -> None:
        """One round: ask the leaders of the watched partitions where they end."""
        watched = self._watched
        if not watched:
            return
        asked = self._clock()
        try:
            found = self._consumer.offsets_for_times(
                [TopicPartition(self.topic, p, OFFSET_END) for p in watched],
                timeout=max(self.every_s, 0.5),
            )
        except KafkaException as e:
            self._renew({p: str(e) for p in watched})
            return
        answers = dict(self._answers)
        failed = {}
        for tp in found:
            if tp.error is None and tp.offset >= 0:
                answers[tp.partition] = (asked, tp.offset)
            else:
                failed[tp.partition] = str(tp.error)
        self._answers = answers
        if failed:
            self._renew(failed)

    def _renew(self, failed: dict[int, str]) -> None:
        """A fresh client after a failed round: it finds the partitions' current leaders."""
        log.info("partition ends unknown", extra={"topic": self.topic, "errors": failed})
        self._consumer.close()
        self._consumer = Consumer(self._config)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tide-end-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            self.refresh()
            self._stop.wait(max(self.every_s - (time.monotonic() - began), 0.0))
