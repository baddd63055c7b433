"""Runs one job's runner in a thread and restarts it, with backoff, after an error."""

from __future__ import annotations

import logging
import threading
from typing import Any

from streams import metrics
from streams.jobs.base import WindowJob
from streams.runner.loop import JobRunner
from streams.runner.settings import RunnerSettings
from tide.errors import TideError

log = logging.getLogger(__name__)


class JobSupervisor:
    def __init__(self, job: WindowJob, settings: RunnerSettings) -> None:
        self.job = job
        self.settings = settings
        self.stop = threading.Event()
        self.restarts = 0
        self.state = "starting"
        self.last_error: str | None = None
        self.runner: JobRunner | None = None
        self._thread = threading.Thread(target=self._run, name=f"job-{job.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def shutdown(self, timeout_s: float = 30.0) -> None:
        self.stop.set()
        self._thread.join(timeout_s)

    def status(self) -> dict[str, Any]:
        runner = self.runner
        owned = (
            sorted(runner.stage.owned) if runner is not None and hasattr(runner, "stage") else []
        )
        return {
            "job": self.job.name,
            "source": self.job.source,
            "output": self.job.output_topic,
            "state": self.state,
            "restarts": self.restarts,
            "last_error": self.last_error,
            "partitions": owned,
            "merge": runner is not None and runner.merge is not None,
        }

    def _run(self) -> None:
        delay = 1.0
        while not self.stop.is_set():
            self.runner = JobRunner(self.job, self.settings, self.stop)
            try:
                self.state = "running"
                self.runner.run()
                self.state = "stopped"
                return
            except TideError as e:
                self.last_error = str(e)
            except Exception as e:
                log.exception("job crashed", extra={"job": self.job.name})
                self.last_error = f"{type(e).__name__}: {e}"
            self.restarts += 1
            self.state = "restarting"
            metrics.RESTARTS.labels(self.job.name).inc()
            log.error(
                "job failed, restarting",
                extra={"job": self.job.name, "error": self.last_error, "in_s": delay},
            )
            if self.stop.wait(delay):
                return
            delay = min(delay * 2, 30.0)
