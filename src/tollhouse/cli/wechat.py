"""WeChat Official Accounts (mass send): accounts, followers and tags from CSV, follower states,
website sends, quotas and a "who can still receive" preview (spec wechat-mass-send.md §5.7)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tollhouse.cli.context import emit_json, handled, out, progress, runtime
from tollhouse.services import massend as svc

app = typer.Typer(
    help="WeChat Official Account mass-send quotas (sandbox admin).", no_args_is_help=True
)
accounts = typer.Typer(help="Official Accounts.", no_args_is_help=True)
followers = typer.Typer(help="Followers and tags of an account.", no_args_is_help=True)
app.add_typer(accounts, name="accounts")
app.add_typer(followers, name="followers")
BATCH = 1_000
TRUE = {"1", "true", "yes", "y", "on"}


@accounts.command("create")
@handled
def account_create(
    account_type: str = typer.Option("service", "--type", help="service or subscription"),
    appid: str | None = typer.Option(None, help="wx + 16 hex digits; generated when omitted."),
    secret: str | None = typer.Option(None, help="32 hex digits; generated when omitted."),
    name: str = typer.Option(""),
    unverified: bool = typer.Option(False, help="An unverified account (APIs answer 48001)."),
    timezone: str | None = typer.Option(None, help="IANA zone; default Asia/Shanghai."),
    callback_url: str | None = typer.Option(None, help="Where MASSSENDJOBFINISH is posted."),
    callback_token: str | None = typer.Option(None),
    now: datetime | None = typer.Option(
        None, help="Start the sandbox clock here (ISO with offset)."
    ),
    production: bool = typer.Option(False, help="Use the real clock (no test clock)."),
) -> None:
    """Create an account. Example: tollhouse wechat accounts create --type service --name Shop"""
    settings: dict[str, Any] = {
        k: v
        for k, v in (
            ("timezone", timezone),
            ("callback_url", callback_url),
            ("callback_token", callback_token),
        )
        if v is not None
    }
    emit_json(
        svc.create_account(
            runtime(),
            svc.NewAccount(
                type=account_type,
                verified=not unverified,
                appid=appid,
                secret=secret,
                name=name,
                settings=settings,
                sandbox=not production,
                now=now,
            ),
        )
    )


@accounts.command("list")
def account_list() -> None:
    """List accounts. Example: tollhouse wechat accounts list"""
    table = Table("appid", "type", "verified", "name", "zone")
    for a in svc.list_accounts(runtime()):
        table.add_row(
            a["appid"], a["type"], str(a["verified"]), a["name"], a["settings"]["timezone"]
        )
    out.print(table)


@accounts.command("quota")
@handled
def account_quota(appid: str) -> None:
    """Caps used and left now. Example: tollhouse wechat accounts quota wx0123456789abcdef"""
    emit_json(svc.account_quota(runtime(), appid))


@followers.command("import")
@handled
def followers_import(
    appid: str, csv_file: Path = typer.Argument(..., exists=True, dir_okay=False)
) -> None:
    """Import followers and tags from CSV with columns openid, wxname, receive_off, tags
    (tag names separated by ';'; missing tags are created). Every column is optional.

    Example: tollhouse wechat followers import wx0123456789abcdef followers.csv
    """
    with csv_file.open(newline="", encoding="utf-8") as handle:
        rows = [_spec(row) for row in csv.DictReader(handle)]
    created = 0
    with progress(len(rows), f"importing {len(rows)} followers") as advance:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            created += svc.add_followers(runtime(), appid, followers=batch)["created"]
            advance(len(batch))
    emit_json({"appid": appid, "created": created})


def _spec(row: dict[str, str | None]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if row.get("openid"):
        spec["openid"] = str(row["openid"]).strip()
    if row.get("wxname"):
        spec["wxname"] = str(row["wxname"]).strip()
    if row.get("receive_off"):
        spec["receive_off"] = str(row["receive_off"]).strip().lower() in TRUE
    if row.get("tags"):
        spec["tags"] = [t.strip() for t in str(row["tags"]).split(";") if t.strip()]
    return spec


@followers.command("generate")
@handled
def followers_generate(appid: str, count: int) -> None:
    """Add COUNT generated followers. Example: tollhouse wechat followers generate wx… 10000"""
    created = 0
    with progress(count, f"generating {count} followers") as advance:
        while created < count:
            step = min(10_000, count - created)
            created += svc.add_followers(runtime(), appid, generate=step)["created"]
            advance(step)
    emit_json({"appid": appid, "created": created})


@followers.command("set")
@handled
def followers_set(
    appid: str,
    openid: str,
    subscribed: bool | None = typer.Option(
        None, "--subscribed/--unsubscribed", help="Resubscribe or unsubscribe now."
    ),
    receive_off: bool | None = typer.Option(None, "--receive-off/--receive-on"),
    delivery_fault: bool | None = typer.Option(None, "--delivery-fault/--no-delivery-fault"),
) -> None:
    """Change a follower's state. Example: tollhouse wechat followers set wx… oAbc… --receive-off"""
    emit_json(
        svc.update_follower(
            runtime(),
            appid,
            openid,
            subscribed=subscribed,
            receive_off=receive_off,
            delivery_fault=delivery_fault,
        )
    )


@followers.command("quota")
@handled
def followers_quota(appid: str, openid: str, month: str = typer.Option(None)) -> None:
    """A follower's month. Example: tollhouse wechat followers quota wx… oAbc… --month 2026-09"""
    emit_json(svc.follower_quota(runtime(), appid, openid, month))


@app.command("web-send")
@handled
def web_send(
    appid: str,
    text: str = typer.Option(..., help="The message text."),
    tag: int | None = typer.Option(None, help="Send to this tag; default: to all followers."),
) -> None:
    """Record a website (mp_web) send. Example: tollhouse wechat web-send wx… --text "Hello" """
    target: dict[str, Any] = {"tag_id": tag} if tag is not None else {"is_to_all": True}
    emit_json(
        svc.web_send(
            runtime(), appid, {"target": target, "msgtype": "text", "text": {"content": text}}
        )
    )


@app.command("reach")
@handled
def reach(
    appid: str,
    tag: int | None = typer.Option(None, help="Preview a send to this tag."),
    openids_file: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Preview a send to these OpenIDs (one a line)."
    ),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Who can still receive this month, before sending (to all by default).

    Example: tollhouse wechat reach wx0123456789abcdef --tag 100
    """
    openids = None
    if openids_file is not None:
        openids = [line.strip() for line in openids_file.read_text().splitlines() if line.strip()]
    result = svc.reach(
        runtime(), appid, is_to_all=tag is None and openids is None, tag_id=tag, openids=openids
    )
    if json_output:
        emit_json(result)
        return
    table = Table(
        "month",
        "targeted",
        "can still receive",
        "former followers",
        "receive off",
        "at the monthly cap",
    )
    f = result["filtered"]
    table.add_row(
        result["month"],
        str(result["total"]),
        str(result["can_receive"]),
        str(f["former_follower"]),
        str(f["receive_off"]),
        str(f["at_cap"]),
    )
    out.print(table)
