"""The jobs Tide ships: clicks per page, revenue per region, distinct users per page."""

from __future__ import annotations

from streams.jobs.base import AggKind, Aggregation, Timing, WindowJob


def shipped_jobs(timing: Timing) -> dict[str, WindowJob]:
    """The shipped jobs with the deployment's window size and lateness."""
    jobs = [
        WindowJob(
            name="clicks_per_minute",
            source="clicks",
            time_path="event_time",
            key_path="page",
            aggregations=(Aggregation("clicks", AggKind.COUNT),),
            timing=timing,
            description="Clicks per page per event-time window.",
            aliases=("tide.streams.PageWindowCount",),  # its name before Tide 0.2
        ),
        WindowJob(
            name="revenue_per_region",
            source="orders",
            time_path="event_time",
            key_path="region",
            where="payload.OrderPaid",
            aggregations=(
                Aggregation("revenue_cents", AggKind.SUM, "payload.OrderPaid.amount_cents"),
                Aggregation("payments", AggKind.COUNT),
                Aggregation("mean_payment_cents", AggKind.MEAN, "payload.OrderPaid.amount_cents"),
                Aggregation("max_payment_cents", AggKind.MAX, "payload.OrderPaid.amount_cents"),
            ),
            timing=timing,
            description="Paid revenue (OrderPaid amounts) per region per event-time window.",
        ),
        WindowJob(
            name="distinct_users_per_page",
            source="clicks",
            time_path="event_time",
            key_path="page",
            aggregations=(
                Aggregation("users", AggKind.DISTINCT, "user_id"),
                Aggregation("clicks", AggKind.COUNT),
            ),
            timing=timing,
            description="Approximate distinct users (HyperLogLog, ±1.6%) per page per window.",
        ),
    ]
    return {j.name: j for j in jobs}
