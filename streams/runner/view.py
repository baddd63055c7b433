"""Every partition's latest progress, read from the tail of the exchange topic.

The partition stage needs it only to let an idle partition follow the others. It starts at the
end of the exchange (history does not matter: every owned partition reports at least once per
heartbeat) and reads report headers only. A partition it has not heard from counts as unknown,
which keeps an idle partition from following (see ``streams.windows.watermarks.idle_floor``).
"""

from __future__ import annotations

import uuid

from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from streams.errors import ExchangeError
from streams.io import reports
from streams.windows.watermarks import Progress


class ExchangeView:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"tide-view-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "log_level": 3,
            }
        )
        self._consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
        self.progress: dict[int, Progress] = {}

    def poll(self) -> None:
        for message in self._consumer.consume(1000, timeout=0):
            if message.error() is not None:
                continue
            try:
                p, watermark, newest, idle = reports.decode_progress(message.value() or b"")
            except ExchangeError:
                continue
            old = self.progress.get(p)
            if old is not None:
                watermark = max(watermark, old.watermark_ms)
            self.progress[p] = Progress(watermark, newest, idle)

    def close(self) -> None:
        self._consumer.close()
