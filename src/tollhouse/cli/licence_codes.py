"""Activation codes: activate, transfer, list expiring licences (spec wecom-licences §2.5-§2.9)."""

from __future__ import annotations

import typer
from rich.table import Table

from tollhouse.cli.context import emit_json, handled, out, runtime
from tollhouse.domain.licence_codes import INTEROP
from tollhouse.domain.periods import SHANGHAI, to_unix
from tollhouse.services import licence_codes as codes

app = typer.Typer(
    help="WeCom activation codes: activate, transfer, expiring.", no_args_is_help=True
)


@app.command("activate")
@handled
def activate(
    provider: str,
    corpid: str,
    userid: str,
    code: str | None = typer.Option(None, "--code", help="The active_code to bind."),
    licence_type: int | None = typer.Option(
        None, "--type", help="Pick the earliest-deadline free code of type 1 or 2 instead."
    ),
) -> None:
    """Bind a code to a member. Example: tollhouse codes activate wwprov wwcorpA u1 --type 1"""
    if (code is None) == (licence_type is None):
        raise typer.BadParameter("give exactly one of --code and --type")
    if code is not None:
        bound = codes.activate(runtime(), provider, corpid, code, userid)
    else:
        bound = codes.activate_type(runtime(), provider, corpid, userid, int(licence_type or 0))
    emit_json(
        {
            "active_code": bound.active_code,
            "userid": bound.userid,
            "type": bound.type,
            "expire_time": to_unix(bound.expire_time) if bound.expire_time else None,
        }
    )


@app.command("transfer")
@handled
def transfer(provider: str, corpid: str, handover: str, takeover: str) -> None:
    """Move a member's licences to another member.

    Example: tollhouse codes transfer wwprov wwcorpA u1 u2
    """
    outcome = codes.transfer(runtime(), provider, corpid, [(handover, takeover)])
    emit_json(
        {
            "transfer_result": [
                {
                    "handover_userid": r.handover_userid,
                    "takeover_userid": r.takeover_userid,
                    "errcode": r.errcode,
                }
                for r in outcome.results
            ]
        }
    )


@app.command("expiring")
@handled
def expiring(
    provider: str,
    corpid: str = typer.Option(None, "--corp", help="Only this customer corp."),
    within: int = typer.Option(7, help="Days ahead of the tenant's now."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout instead of a table."),
) -> None:
    """Licences that expire soon. Example: tollhouse codes expiring wwprov --within 30"""
    at, rows = codes.expiring_codes(runtime(), provider, within_days=within, corpid=corpid)
    found = [
        {
            "active_code": c.active_code,
            "corpid": c.bound_corpid,
            "userid": c.userid,
            "type": c.type,
            "expire_time": c.expire_time.isoformat() if c.expire_time else None,
            "days_left": round((c.expire_time - at).total_seconds() / 86400, 1)
            if c.expire_time
            else None,
        }
        for c in rows
    ]
    if as_json:
        emit_json({"now": at.isoformat(), "expiring": found})
        return
    table = Table(
        "corp",
        "member",
        "type",
        "expires (Asia/Shanghai)",
        "days left",
        "code",
        title=f"Licences expiring within {within} days of {at.isoformat()}",
    )
    for c, row in zip(rows, found, strict=True):
        local = (
            c.expire_time.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if c.expire_time else "-"
        )
        kind = "interop" if c.type == INTEROP else "basic"
        table.add_row(
            str(c.bound_corpid), str(c.userid), kind, local, str(row["days_left"]), c.active_code
        )
    out.print(table)
