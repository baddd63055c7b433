"""`tide demo`: run the whole pipeline once on the embedded stack and show the lake."""

from __future__ import annotations

import typer

from tide.cli.context import settings
from tide.cli.output import OutputFormat, console, emit_table
from tide.demo import queries
from tide.demo.runner import DemoPlan, run_demo


def demo(
    clicks: int = typer.Option(20_000, min=1, help="Clicks to produce."),
    orders: int = typer.Option(5_000, min=1, help="Order events to produce."),
    duration: float = typer.Option(30.0, min=1, help="Seconds over which clicks are produced."),
) -> None:
    """Broker + registry + worker + land job + SQL, about a minute, then everything stops."""
    outcome = run_demo(settings(), DemoPlan(clicks, orders, duration), console)
    console.print(f'\n[bold]tide sql[/bold] "{" ".join(queries.TOP_PAGES_PER_MINUTE.split())}"')
    top = outcome.top_pages
    emit_table(top.column_names, [tuple(r.values()) for r in top.to_pylist()], OutputFormat.text)
    console.print(f'\n[bold]tide sql[/bold] "{" ".join(queries.ORDERS_PER_REGION.split())}"')
    regions = outcome.orders_per_region
    rows = [tuple(r.values()) for r in regions.to_pylist()]
    emit_table(regions.column_names, rows, OutputFormat.text)
    console.print(
        f"\nclicks produced {outcome.clicks_produced} · counted in windows "
        f"{outcome.clicks_in_windows} · landed in the lake {outcome.clicks_landed}"
    )
