"""A small WeChat test client over the ASGI app: accounts, clocks, followers, tags and sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.conftest import ADMIN_KEY
from tollhouse.services.runtime import Runtime

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@dataclass
class Account:
    appid: str
    secret: str
    token: str = ""


class Wx:
    def __init__(self, client: Any, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime
        self._content = 0

    # -- admin ---------------------------------------------------------------------------------

    def account(self, now: str, *, type: str = "service", verified: bool = True,  # noqa: A002
                **settings: Any) -> Account:
        answer = self.client.post("/v1/wechat/accounts", headers=ADMIN, json={
            "type": type, "verified": verified, "now": now, "settings": settings})
        assert answer.status_code == 201, answer.json()
        body = answer.json()
        account = Account(body["appid"], body["secret"])
        self.refresh(account)
        return account

    def refresh(self, account: Account) -> str:
        answer = self.client.get("/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": account.appid,
            "secret": account.secret}).json()
        assert "access_token" in answer, answer
        account.token = answer["access_token"]
        return account.token

    def at(self, account: Account, now: str) -> dict[str, Any]:
        """Set the account's sandbox clock (runs what falls due) and fetch a fresh token."""
        answer = self.client.post("/v1/sandbox/clock", headers=ADMIN,
                                  json={"appid": account.appid, "now": now})
        assert answer.status_code == 200, answer.json()
        self.refresh(account)
        return dict(answer.json())

    def followers(self, account: Account, count: int = 0,
                  specs: list[dict[str, Any]] | None = None) -> list[str]:
        body: dict[str, Any] = {"followers": specs} if specs is not None else {"generate": count}
        answer = self.client.post(f"/v1/wechat/accounts/{account.appid}/followers",
                                  headers=ADMIN, json=body)
        assert answer.status_code == 201, answer.json()
        return list(answer.json()["openids"])

    def patch_follower(self, account: Account, openid: str, **values: Any) -> dict[str, Any]:
        answer = self.client.patch(f"/v1/wechat/accounts/{account.appid}/followers/{openid}",
                                   headers=ADMIN, json=values)
        assert answer.status_code == 200, answer.json()
        return dict(answer.json())

    def patch_account(self, account: Account, **values: Any) -> dict[str, Any]:
        answer = self.client.patch(f"/v1/wechat/accounts/{account.appid}", headers=ADMIN,
                                   json=values)
        assert answer.status_code == 200, answer.json()
        return dict(answer.json())

    def u(self, account: Account, openid: str, month: str) -> int:
        answer = self.client.get(
            f"/v1/wechat/accounts/{account.appid}/followers/{openid}/quota",
            params={"month": month}, headers=ADMIN)
        assert answer.status_code == 200, answer.json()
        return int(answer.json()["received"])

    def seed(self, account: Account, openid: str, month: str, received: int) -> None:
        answer = self.client.put(
            f"/v1/wechat/accounts/{account.appid}/followers/{openid}/quota/{month}",
            headers=ADMIN, json={"received": received})
        assert answer.status_code == 200, answer.json()

    def quota(self, account: Account, at: str | None = None) -> dict[str, Any]:
        params = {"at": at} if at else {}
        answer = self.client.get(f"/v1/wechat/accounts/{account.appid}/quota", params=params,
                                 headers=ADMIN)
        assert answer.status_code == 200, answer.json()
        return dict(answer.json())

    def web_send(self, account: Account, target: dict[str, Any]) -> Any:
        return self.client.post(f"/v1/wechat/accounts/{account.appid}/web-sends", headers=ADMIN,
                                json={"target": target, **self.text()})

    def job(self, account: Account, msg_id: int) -> dict[str, Any]:
        answer = self.client.get(f"/v1/wechat/accounts/{account.appid}/jobs/{msg_id}",
                                 headers=ADMIN)
        assert answer.status_code == 200, answer.json()
        return dict(answer.json())

    def event(self, account: Account, msg_id: int) -> tuple[str, int, int, int, int]:
        """(Status, Total, Filter, Sent, Error) of the job's MASSSENDJOBFINISH event."""
        answer = self.client.get(f"/v1/wechat/accounts/{account.appid}/events", headers=ADMIN)
        for event in answer.json()["events"]:
            p = event["payload"]
            if p["msg_id"] == msg_id:
                return (p["status"], p["TotalCount"], p["FilterCount"], p["SentCount"],
                        p["ErrorCount"])
        raise AssertionError(f"no MASSSENDJOBFINISH for {msg_id}")

    # -- WeChat API ----------------------------------------------------------------------------

    def cgi(self, account: Account, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.client.post(f"/cgi-bin/{path}", params={"access_token": account.token},
                                  json=body or {})
        assert answer.status_code == 200
        return answer.json()

    def text(self, content: str | None = None) -> dict[str, Any]:
        self._content += 1
        return {"msgtype": "text", "text": {"content": content or f"message {self._content}"}}

    def tag(self, account: Account, name: str, openids: list[str]) -> int:
        created = self.cgi(account, "tags/create", {"tag": {"name": name}})
        tag_id = int(created["tag"]["id"])
        for start in range(0, len(openids), 50):
            done = self.cgi(account, "tags/members/batchtagging",
                            {"openid_list": openids[start:start + 50], "tagid": tag_id})
            assert done["errcode"] == 0, done
        return tag_id

    def sendall_tag(self, account: Account, tag_id: int, content: str | None = None,
                    **extra: Any) -> dict[str, Any]:
        return dict(self.cgi(account, "message/mass/sendall", {
            "filter": {"is_to_all": False, "tag_id": tag_id}, **self.text(content), **extra}))

    def sendall_all(self, account: Account, content: str | None = None) -> dict[str, Any]:
        return dict(self.cgi(account, "message/mass/sendall", {
            "filter": {"is_to_all": True}, **self.text(content)}))

    def send(self, account: Account, openids: list[str], content: str | None = None,
             **extra: Any) -> dict[str, Any]:
        return dict(self.cgi(account, "message/mass/send",
                             {"touser": openids, **self.text(content), **extra}))

    def status(self, account: Account, msg_id: int) -> str:
        return str(self.cgi(account, "message/mass/get", {"msg_id": msg_id})["msg_status"])


def local(text: str) -> str:
    """'2026-07-03T10:00:00' → the same wall time in Asia/Shanghai with its offset."""
    return datetime.fromisoformat(text + "+08:00").isoformat()
