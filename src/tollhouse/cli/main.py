"""`tollhouse`: serve, migrate, keys, providers, corps, members, price lists, quotes, orders."""

from __future__ import annotations

import typer

from tollhouse.cli import context, editions, licence_codes, licences, wechat, whatsapp
from tollhouse.cli import core as core_commands

app = typer.Typer(
    name="tollhouse",
    help="Tollhouse: pricing, quotas and metering for WeCom, WeChat and WhatsApp API use.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    context.set_debug(debug)


core_commands.register(app)
app.add_typer(licences.providers, name="providers")
app.add_typer(licences.corps, name="corps")
app.add_typer(licences.members, name="members")
app.add_typer(licences.app, name="licences")
app.add_typer(licence_codes.app, name="codes")
app.add_typer(editions.app, name="editions")
app.add_typer(wechat.app, name="wechat")
app.add_typer(whatsapp.app, name="whatsapp")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
