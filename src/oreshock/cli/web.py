"""`oreshock report` and `oreshock serve`: registered on the main Typer app by ``register``."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from oreshock.cli.common import DataOpt, DbOpt, LangOpt, PaperOpt, friendly
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import t
from oreshock.report.builder import write_report
from oreshock.web.settings import LOOPBACK_HOSTS, Settings


def register(app: typer.Typer) -> None:
    """Add the ``report`` and ``serve`` commands to ``app`` (the CLI in ``oreshock.cli.app``)."""

    @app.command("report")
    @friendly
    def report(
        run_id: Annotated[str, typer.Argument(help="Stored run id (see `oreshock runs list`).")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="File to write (default: RUN_ID.html or RUN_ID.pdf here)."),
        ] = None,
        lang: LangOpt = "en",
        fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
        paper: PaperOpt = "a4",
        db: DbOpt = None,
        data: DataOpt = None,
    ) -> None:
        """Write a standalone report of a stored run (要約, 解説, charts, assumptions, sources)."""
        target = out if out is not None else Path(f"{run_id}.{fmt}")
        path = write_report(
            run_id, target, lang=lang, fmt=fmt, db_path=db, data_path=data, paper=paper
        )
        typer.echo(t("lr_wrote", lang, path=path))

    @app.command("serve")
    @friendly
    def serve(
        host: Annotated[
            str, typer.Option(help="Address to listen on; not loopback needs ORESHOCK_TOKEN.")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
        db: DbOpt = None,
        data: DataOpt = None,
        allowed_host: Annotated[
            list[str] | None,
            typer.Option(
                "--allowed-host",
                help="Host header value to serve besides localhost, 127.0.0.1, ::1 and "
                "--host (repeat; `*` for any).",
            ),
        ] = None,
        cors_origin: Annotated[
            list[str] | None,
            typer.Option(
                "--cors-origin", help="Origin browsers may call the API from (repeat; none)."
            ),
        ] = None,
        max_queued: Annotated[
            int, typer.Option(help="Runs queued or running at once (429 beyond).", min=1)
        ] = Settings.max_queued,
        job_seconds: Annotated[
            float, typer.Option(help="Seconds a run may take before it is stopped.", min=0.1)
        ] = Settings.job_seconds,
    ) -> None:
        """Serve the HTTP API (docs at /docs) and the dashboard (at /).

        Listens on loopback unless --host says otherwise, which needs a token
        (ORESHOCK_TOKEN): every request must then send `Authorization: Bearer <token>`
        (a browser opens the dashboard once as /?token=<token>).
        """
        # Lazy: FastAPI and uvicorn take ~0.25 s to import, which every `oreshock --help` would pay.
        import uvicorn

        from oreshock.web.app import create_app

        token = Settings().token
        if not is_loopback(host) and token is None:
            raise OreshockError(
                f"--host {host} is not a loopback address, so the service would be open to "
                "the network; set a token first (ORESHOCK_TOKEN, at least 16 characters), or "
                "listen on 127.0.0.1"
            )
        hosts = (*LOOPBACK_HOSTS, host, *(allowed_host or ()))
        settings = Settings(
            max_queued=max_queued,
            job_seconds=job_seconds,
            token=token,
            allowed_hosts=tuple(dict.fromkeys(hosts)),
            cors_origins=tuple(cors_origin or ()),
        )
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"oreshock dashboard: http://{shown}:{port}/  (API docs: /docs)")
        if token:
            typer.echo("a token is required: open the dashboard once as /?token=<ORESHOCK_TOKEN>")
        uvicorn.run(create_app(db, data, settings), host=host, port=port, log_level="warning")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
