"""`tide demo`: run the whole pipeline once on the embedded stack and show the lake."""

from __future__ import annotations

import pyarrow as pa
import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_table
from tide.demo import queries
from tide.demo.runner import DemoPlan, run_demo


def _show(sql: str, table: pa.Table) -> None:
    console.print(f'\n[bold]tide sql[/bold] "{" ".join(sql.split())}"')
    emit_table(
        table.column_names, [tuple(r.values()) for r in table.to_pylist()], OutputFormat.text
    )


def demo(
    clicks: int = typer.Option(20_000, min=1, help="Clicks to produce."),
    orders: int = typer.Option(5_000, min=1, help="Order events to produce."),
    duration: float = typer.Option(30.0, min=1, help="Seconds over which clicks are produced."),
) -> None:
    """Broker + registry + worker + land job + SQL, about a minute, then everything stops."""
    outcome = run_demo(settings(), DemoPlan(clicks, orders, duration), console)
    _show(queries.TOP_PAGES_PER_MINUTE, outcome.top_pages)
    _show(queries.REVENUE_PER_MINUTE, outcome.revenue)
    console.print(
        f"\nclicks produced {outcome.clicks_produced} · counted in windows "
        f"{outcome.clicks_in_windows} · landed in the lake {outcome.clicks_landed}\n"
        f"payments in revenue windows {outcome.payments_in_windows} · "
        f"paid orders in the lake {outcome.payments_landed}"
    )
