"""Commands shared by every capability: serve, migrate, demo, keys, clock, events."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer

from tollhouse.cli.context import emit_json, err, handled, out, runtime


def register(app: typer.Typer) -> None:  # noqa: C901 - one command table
    @app.command()
    def serve(
        host: str = typer.Option(
            None, help="Address to bind (default TOLLHOUSE_HOST or 127.0.0.1)."
        ),
        port: int = typer.Option(None, help="Port (default TOLLHOUSE_PORT or 8000)."),
        demo: bool = typer.Option(False, help="Create the demo tenants first if missing."),
    ) -> None:
        """Start the HTTP server. Example: tollhouse serve --host 0.0.0.0 --port 8000"""
        import uvicorn  # noqa: PLC0415

        from tollhouse.bootstrap import build_app  # noqa: PLC0415
        from tollhouse.config import Settings  # noqa: PLC0415

        settings = Settings()
        settings.host = host or settings.host
        settings.port = port or settings.port
        rt = runtime()
        if demo:
            from tollhouse.demo import ensure_demo  # noqa: PLC0415

            info = ensure_demo(rt)
            out.print(f"Dashboard: http://{settings.host}:{settings.port}/dashboard/")
            out.print(f"Demo operator key: [bold]{info['operator_key']}[/bold]")
            out.print(f"Demo WeCom provider: corpid {info['provider']} secret {info['secret']}")
        uvicorn.run(
            build_app(settings, runtime=rt),
            host=settings.host,
            port=settings.port,
            log_level="info",
        )

    @app.command()
    def migrate() -> None:
        """Apply database migrations (also done at every start). Example: tollhouse migrate"""
        runtime()
        out.print("database is at the latest migration")

    @app.command()
    @handled
    def demo() -> None:
        """Create the demo tenants (idempotent). Example: tollhouse demo"""
        from tollhouse.demo import ensure_demo  # noqa: PLC0415

        emit_json(ensure_demo(runtime()))

    keys = typer.Typer(help="API keys for /v1/ and the dashboard.", no_args_is_help=True)
    app.add_typer(keys, name="keys")

    @keys.command("create")
    @handled
    def keys_create(
        name: str = typer.Option("", help="A label for the key."),
        tenant: str = typer.Option(None, help="Scope the key to one tenant, e.g. wecom:wwprov."),
    ) -> None:
        """Create an API key and print it once. Example: tollhouse keys create --name ops"""
        from tollhouse.services.auth import create_key  # noqa: PLC0415

        key_id, raw = create_key(runtime(), name=name, tenant_id=tenant)
        emit_json({"id": key_id, "key": raw, "tenant": tenant})

    @keys.command("list")
    def keys_list() -> None:
        """List keys (never their secret). Example: tollhouse keys list"""
        with runtime().uow(readonly=True) as uow:
            rows = uow.api_keys.list()
        emit_json(
            [
                {k: r[k] for k in ("id", "name", "tenant_id", "created_at", "revoked_at")}
                for r in rows
            ]
        )

    @keys.command("revoke")
    def keys_revoke(key_id: str) -> None:
        """Revoke a key. Example: tollhouse keys revoke key_1a2b3c"""
        from tollhouse.services.auth import revoke_key  # noqa: PLC0415

        if not revoke_key(runtime(), key_id):
            err.print(f"error[keys.unknown]: no active key {key_id!r}")
            raise typer.Exit(1)
        out.print(f"revoked {key_id}")

    clock = typer.Typer(help="Sandbox test clocks.", no_args_is_help=True)
    app.add_typer(clock, name="clock")

    @clock.command("show")
    @handled
    def clock_show(tenant: str) -> None:
        """Print a tenant's now. Example: tollhouse clock show wecom:wwdemo"""
        from tollhouse.services.clocks import tenant_now  # noqa: PLC0415

        rt = runtime()
        with rt.uow(readonly=True) as uow:
            out.print(tenant_now(rt, uow, tenant).isoformat())

    @clock.command("advance")
    @handled
    def clock_advance(
        tenant: str,
        days: float = typer.Option(0, help="Days to move forward."),
        seconds: int = typer.Option(0, help="Seconds to move forward."),
        to: str = typer.Option(None, help="Or an ISO instant with offset to move to."),
    ) -> None:
        """Move a sandbox clock, running what falls due.

        Example: tollhouse clock advance wecom:wwdemo --days 7
        """
        from tollhouse.services.clocks import move_clock, tenant_now  # noqa: PLC0415

        rt = runtime()
        if to:
            target = datetime.fromisoformat(to)
        else:
            with rt.uow(readonly=True) as uow:
                target = tenant_now(rt, uow, tenant) + timedelta(days=days, seconds=seconds)
        moved = move_clock(rt, tenant, target)
        emit_json({"tenant": tenant, "now": moved.now.isoformat(), "ran": moved.ran})

    @app.command("events")
    def events_feed(
        tenant: str = typer.Option(None),
        kind: str = typer.Option(None),
        limit: int = typer.Option(50),
    ) -> None:
        """Print the event feed. Example: tollhouse events --tenant wecom:wwdemo"""
        with runtime().uow(readonly=True) as uow:
            rows = uow.events.feed(tenant_ids=[tenant] if tenant else None, kind=kind, limit=limit)
        emit_json(
            [
                {
                    "id": e.id,
                    "tenant": e.tenant_id,
                    "kind": e.kind,
                    "at": e.occurred_at.isoformat(),
                    "delivery": e.delivery_status,
                    "attempts": e.attempts,
                }
                for e in rows
            ]
        )
