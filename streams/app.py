"""The worker process: a Faust app hosting the window jobs, with web views for metrics and status.

Faust provides the application, its lifecycle and web server. The window jobs read their input
in batches below Faust's per-event agent layer (Faust's consumer path caps near 14k events/s on
these machines; see README, Benchmarks) and keep their own group membership, with cooperative
rebalancing and checkpoints restored by each partition's new owner — Faust's eager rebalance
revokes every partition of every member, and its changelog is not atomic with its offsets.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import faust
import mode

from streams import metrics
from streams.config import WorkerConfig
from streams.runner.supervisor import JobSupervisor

log = logging.getLogger(__name__)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def create_app(config: WorkerConfig) -> tuple[faust.App, list[JobSupervisor]]:
    """The Faust app of a worker and the supervisors of its jobs (started with the app)."""
    runner = config.runner
    streams_dir = runner.data_dir / "streams"
    streams_dir.mkdir(parents=True, exist_ok=True)  # Faust creates its datadir without parents
    port = config.web_port or _free_port(config.web_host)
    app = faust.App(
        config.app_id,
        broker=f"kafka://{runner.bootstrap_servers}",
        store="memory://",
        datadir=str(streams_dir),
        web_enabled=True,
        web_host=config.web_host,
        web_port=port,
        web_bind=config.web_host,
        # Faust's own group (it needs one topic: its assignor's) only hosts per-event agents;
        # short timeouts so that a killed worker's Faust membership moves within seconds.
        broker_session_timeout=config.runner.session_timeout_s,
        broker_heartbeat_interval=config.runner.session_timeout_s / 4,
        broker_rebalance_timeout=config.runner.session_timeout_s * 2,
        processing_guarantee="exactly_once" if runner.exactly_once else "at_least_once",
    )
    supervisors = [JobSupervisor(job, runner) for job in config.jobs]

    @app.page("/metrics")
    async def metrics_view(web: Any, request: Any) -> Any:
        # Prometheus text format 0.0.4 (aiohttp takes the charset apart from the type)
        return web.text(metrics.exposition().decode(), content_type="text/plain")

    @app.page("/jobs")
    async def jobs_view(web: Any, request: Any) -> Any:
        return web.json([s.status() for s in supervisors])

    @app.service
    class JobHost(mode.Service):
        """Stops the jobs with the app (they start before it: Faust's own group join waits)."""

        async def on_stop(self) -> None:
            for supervisor in supervisors:
                await self.loop.run_in_executor(None, supervisor.shutdown)

    return app, supervisors


def run_worker(config: WorkerConfig, loglevel: str = "INFO") -> None:
    """Run the worker until SIGINT/SIGTERM (blocking)."""
    app, supervisors = create_app(config)
    for supervisor in supervisors:
        supervisor.start()
    log.info(
        "worker starting",
        extra={
            "jobs": ",".join(j.name for j in config.jobs),
            "metrics": f"http://{config.web_host}:{app.conf.web_port}/metrics",
        },
    )
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, override_logging=False)
    worker.execute_from_commandline()
