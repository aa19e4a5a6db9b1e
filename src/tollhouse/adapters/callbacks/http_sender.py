"""Outbound callbacks over httpx; tests plug in httpx.MockTransport."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from tollhouse.services.ports import DeliveryResult

OK_LOW, OK_HIGH = 200, 300  # a 2xx answer


class HttpxCallbackSender:
    def __init__(
        self, *, timeout_s: float = 5.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        started = time.perf_counter()
        try:
            response = self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as exc:
            return DeliveryResult(
                ok=False,
                http_status=None,
                response_body="",
                error=f"{type(exc).__name__}: {exc}",
                duration_ms=int((time.perf_counter() - started) * 1000),
            )
        return DeliveryResult(
            OK_LOW <= response.status_code < OK_HIGH,
            response.status_code,
            response.text,
            None,
            int((time.perf_counter() - started) * 1000),
        )

    def close(self) -> None:
        self._client.close()


class RecordingCallbackSender:
    """A fake sender that records what it was asked to post and answers from a script."""

    def __init__(self, answer: str = "success", status: int = 200) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []
        self.answer = answer
        self.status = status

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryResult:
        self.sent.append((url, body, dict(headers)))
        ok = OK_LOW <= self.status < OK_HIGH
        return DeliveryResult(ok, self.status, self.answer, None, 0)
