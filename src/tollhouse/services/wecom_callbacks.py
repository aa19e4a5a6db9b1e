"""WeCom-shaped callback bodies (XML) and their delivery signer (AES envelope when configured)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tollhouse.services.runtime import Runtime, UnitOfWork

SIGNER = "wecom"


def xml_body(fields: dict[str, Any]) -> str:
    """``<xml><Key><![CDATA[value]]></Key>…</xml>``; integers without CDATA, as WeCom sends."""
    parts = ["<xml>"]
    for key, value in fields.items():
        parts.append(f"<{key}>{_xml_value(value)}</{key}>")
    parts.append("</xml>")
    return "".join(parts)


def _xml_value(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return "".join(
            f"<Item>{''.join(f'<{k}>{_xml_value(v)}</{k}>' for k, v in item.items())}</Item>"
            for item in value
        )
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml_value(v)}</{k}>" for k, v in value.items())
    text = str(value).replace("]]>", "]]]]><![CDATA[>")  # CDATA needs no other escaping
    return f"<![CDATA[{text}]]>"


def sign(
    runtime: Runtime, uow: UnitOfWork, event: Any, at: datetime
) -> tuple[str, bytes, dict[str, str]]:
    """Wrap the stored plaintext XML in WeCom's AES envelope when the provider configured one."""
    crypto = runtime.extras["wecom_crypto"]
    provider = uow.licences.provider_by_tenant(event.tenant_id)
    body = event.body or ""
    url = event.target_url
    if provider and provider.get("callback_token") and provider.get("encoding_aes_key"):
        timestamp, nonce = str(int(at.timestamp())), secrets.token_hex(8)
        body, signature = crypto.envelope(
            body,
            token=provider["callback_token"],
            encoding_aes_key=provider["encoding_aes_key"],
            receive_id=event.payload.get("receive_id", provider["corpid"]),
            timestamp=timestamp,
            nonce=nonce,
        )
        query = urlencode({"msg_signature": signature, "timestamp": timestamp, "nonce": nonce})
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    return url, body.encode(), {"Content-Type": "text/xml; charset=utf-8"}


def answered_success(status: int | None, body: str) -> bool:
    return status == 200 and body.strip() == "success"  # noqa: PLR2004


def install(runtime: Runtime) -> None:
    runtime.signers[SIGNER] = sign
    runtime.success_tests[SIGNER] = answered_success
