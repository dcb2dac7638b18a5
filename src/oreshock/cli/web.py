"""`oreshock report` and `oreshock serve`: registered on the main Typer app by ``register``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oreshock.cli.common import DataOpt, DbOpt, LangOpt, friendly
from oreshock.report.builder import write_report


def register(app: typer.Typer) -> None:
    """Add the ``report`` and ``serve`` commands to ``app`` (the CLI in ``oreshock.cli.app``)."""

    @app.command("report")
    @friendly
    def report(
        run_id: Annotated[str, typer.Argument(help="Stored run id (see `oreshock runs list`).")],
        out: Annotated[Path, typer.Option("--out", help="File to write.")],
        lang: LangOpt = "en",
        fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
        db: DbOpt = None,
        data: DataOpt = None,
    ) -> None:
        """Write a standalone report of a stored run (要約, 解説, charts, assumptions, sources)."""
        path = write_report(run_id, out, lang=lang, fmt=fmt, db_path=db, data_path=data)
        typer.echo(str(path))

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
        db: DbOpt = None,
        data: DataOpt = None,
    ) -> None:
        """Serve the HTTP API (docs at /docs) and the dashboard (at /)."""
        # Lazy: FastAPI and uvicorn take ~0.25 s to import, which every `oreshock --help` would pay.
        import uvicorn

        from oreshock.web.app import create_app

        typer.echo(f"oreshock dashboard: http://{host}:{port}/  (API docs: /docs)")
        uvicorn.run(create_app(db, data), host=host, port=port, log_level="warning")
