"""WeCom providers, corps, members, price lists, quotes and licence orders."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from rich.table import Table

from tollhouse.cli.context import emit_json, handled, out, progress, runtime
from tollhouse.domain.licences import AccountType, Duration, PurchaseKind, profile_from_config
from tollhouse.services import licence_setup as setup

providers = typer.Typer(help="WeCom providers (ISVs).", no_args_is_help=True)
corps = typer.Typer(help="Customer corps of a provider.", no_args_is_help=True)
members = typer.Typer(help="Members (userids) of a corp.", no_args_is_help=True)
app = typer.Typer(help="Licence price lists, quotes and orders.", no_args_is_help=True)


@providers.command("create")
@handled
def provider_create(
    corpid: str,
    secret: str = typer.Option(..., help="The provider_secret clients will use."),
    name: str = typer.Option(""),
    admin: list[str] = typer.Option([], help="Admin userid with purchase permission (repeat)."),
    production: bool = typer.Option(False, help="Use the real clock (no test clock)."),
    callback_url: str = typer.Option(None),
    callback_token: str = typer.Option(None),
    aes_key: str = typer.Option(None, help="EncodingAESKey (43 characters)."),
) -> None:
    """Create a provider.

    Example: tollhouse providers create wwprov --secret s3cret --admin admin1
    """
    tenant = setup.create_provider(
        runtime(),
        setup.NewProvider(
            corpid=corpid,
            provider_secret=secret,
            name=name,
            sandbox=not production,
            admins=admin,
            callback_url=callback_url,
            callback_token=callback_token,
            encoding_aes_key=aes_key,
        ),
    )
    emit_json({"corpid": corpid, "tenant": tenant})


@providers.command("list")
def provider_list() -> None:
    """List providers. Example: tollhouse providers list"""
    with runtime().uow(readonly=True) as uow:
        rows = uow.licences.providers()
    table = Table("corpid", "name", "tenant", "balance (fen)")
    for p in rows:
        table.add_row(p["corpid"], p["name"], p["tenant_id"], str(p["balance_fen"]))
    out.print(table)


@corps.command("create")
@handled
def corp_create(
    provider: str,
    corpid: str,
    name: str = typer.Option(""),
    test: bool = typer.Option(False, help="A test corp (free, tight limits)."),
    suite: str = typer.Option("suite1", help="Install this app in the corp now."),
) -> None:
    """Create a customer corp with the app installed.

    Example: tollhouse corps create wwprov wwcorpA
    """
    setup.save_corp(runtime(), provider, corpid, name=name, is_test=test)
    setup.install_app(runtime(), provider, corpid, suite)
    emit_json({"provider": provider, "corpid": corpid, "is_test": test, "suite_id": suite})


@members.command("add")
@handled
def member_add(provider: str, corpid: str, userid: list[str]) -> None:
    """Add members. Example: tollhouse members add wwprov wwcorpA u1 u2 u3"""
    created = setup.import_members(runtime(), provider, corpid, [{"userid": u} for u in userid])
    emit_json({"created": created})


@members.command("import")
@handled
def member_import(
    provider: str,
    corpid: str,
    path: Path,
    batch: int = typer.Option(1000, help="Rows per transaction."),
) -> None:
    """Import members from CSV (userid[,name,in_service,visible]).

    Example: tollhouse members import wwprov wwcorpA members.csv
    """
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [_member_row(r) for r in csv.DictReader(handle)]
    created = 0
    with progress(len(rows), f"importing {path.name}") as advance:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            created += setup.import_members(runtime(), provider, corpid, chunk)
            advance(len(chunk))
    emit_json({"rows": len(rows), "created": created})


def _member_row(raw: dict[str, str]) -> dict[str, object]:
    def flag(name: str) -> bool:
        return (raw.get(name) or "1").strip().lower() not in ("0", "false", "no")

    return {
        "userid": raw["userid"].strip(),
        "name": (raw.get("name") or "").strip(),
        "in_service": flag("in_service"),
        "visible": flag("visible"),
    }


@app.command("profile-set")
@handled
def profile_set(provider: str, name: str, path: Path) -> None:
    """Set a reseller price list from JSON.

    Example: tollhouse licences profile-set wwprov mylist list.json
    """
    config = json.loads(path.read_text(encoding="utf-8"))
    profile_from_config(name, config)
    rt = runtime()
    with rt.uow() as uow:
        setup.require_provider(uow, provider)
        uow.licences.save_profile(provider, name, config, at=rt.system_clock.now())
        uow.commit()
    emit_json({"provider": provider, "profile": name, "saved": True})


@app.command("quote")
@handled
def quote(
    provider: str,
    corpid: str,
    basic: int = typer.Option(0, help="Basic accounts."),
    interop: int = typer.Option(0, help="Interop accounts."),
    months: int = typer.Option(12),
    days: int = typer.Option(0),
    profile: str = typer.Option(None, help="Quote from this reseller price list."),
    kind: PurchaseKind = typer.Option(None, help="first, additional or renewal (reseller)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Quote a purchase. Example: tollhouse licences quote wwprov wwcorpA --basic 8 --months 12"""
    from tollhouse.services.licence_pricing import (  # noqa: PLC0415
        line_json,
        quote_new,
        quote_reseller,
    )

    counts = {AccountType.BASIC: basic, AccountType.INTEROP: interop}
    if profile:
        rq = quote_reseller(
            runtime(), provider, corpid, profile, counts, kind=kind, duration=Duration(months, days)
        )
        lines, price = list(rq.lines), rq.price
    else:
        q = quote_new(runtime(), provider, corpid, counts, Duration(months, days))
        lines, price = q.lines, q.price
    if as_json:
        emit_json({"lines": [line_json(x) for x in lines], "price": price})
        return
    table = Table("type", "positions", "accounts", "unit price (fen/372 d)", "days")
    for line in lines:
        for piece in line.tiers:
            table.add_row(
                "basic" if line.type == AccountType.BASIC else "interop",
                f"{piece.first}–{piece.last}",
                str(piece.count),
                "custom" if piece.unit_price is None else str(piece.unit_price),
                str(line.duration_days),
            )
    out.print(table)
    out.print("custom quote required" if price is None else f"price: {price} fen")


@app.command("orders")
@handled
def orders(provider: str, limit: int = typer.Option(50)) -> None:
    """List a provider's orders. Example: tollhouse licences orders wwprov"""
    from tollhouse.services.clocks import tenant_now  # noqa: PLC0415

    rt = runtime()
    with rt.uow(readonly=True) as uow:
        rows = uow.licences.all_orders(provider, limit=limit)
        at = tenant_now(rt, uow, setup.tenant_id_of(provider))
    table = Table(
        "order_id", "corpid", "type", "status", "basic", "interop", "price (fen)", "created"
    )
    for o in rows:
        table.add_row(
            o.order_id,
            o.corpid or "(multi)",
            str(int(o.order_type)),
            str(int(o.status_at(at))),
            str(o.base_count),
            str(o.interop_count),
            str(o.price),
            o.create_time.isoformat(),
        )
    out.print(table)
