"""Bad input gets the spec's errcode and changes nothing (issue "Bad input and races"; §4.3)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.massend_support import ADMIN, Account, Wx, local
from tollhouse.adapters.db import tables_massend as t
from tollhouse.services.runtime import Runtime


@pytest.fixture
def wx(client: Any, runtime: Runtime) -> Wx:
    return Wx(client, runtime)


def snapshot(wx: Wx, account: Account, openids: list[str]) -> dict[str, Any]:
    with wx.runtime.uow(readonly=True) as uow:
        conn = uow.conn  # type: ignore[attr-defined]
        jobs = conn.execute(select(func.count()).select_from(t.wechat_jobs)).scalar_one()
        cmids = conn.execute(select(func.count()).select_from(t.wechat_clientmsgid)).scalar_one()
        tags = conn.execute(select(func.count()).select_from(t.wechat_follower_tags)).scalar_one()
    quota = wx.quota(account)
    return {"jobs": jobs, "clientmsgids": cmids, "memberships": tags,
            "u": [wx.u(account, o, "2026-07") for o in openids[:5]],
            "history": quota["history"]}


def _calls(wx: Wx, acc: Account, u: list[str], tag: int) -> list[tuple[str, Any, int]]:
    text = {"msgtype": "text", "text": {"content": "x"}}
    return [
        ("0 OpenIDs", lambda: wx.send(acc, []), 40130),
        ("1 OpenID", lambda: wx.send(acc, u[:1]), 40130),
        ("10,001 OpenIDs", lambda: wx.send(acc, [*u, "oExtra"]), 40032),
        ("unknown OpenID", lambda: wx.send(acc, [u[0], "oNeverFollowedThisAccount000"]), 40003),
        ("unknown tag", lambda: wx.sendall_tag(acc, 999), 40152),
        ("oversized clientmsgid", lambda: wx.sendall_tag(acc, tag, clientmsgid="c" * 65), 45067),
        ("bad msgtype", lambda: wx.cgi(acc, "message/mass/sendall", {
            "filter": {"is_to_all": True}, "msgtype": "music", "music": {}}), 40008),
        ("empty text", lambda: wx.cgi(acc, "message/mass/sendall", {
            "filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": ""}}), 44004),
        ("missing token", lambda: wx.client.post("/cgi-bin/message/mass/send",
                                                 json={"touser": u[:2], **text}).json(), 41001),
        ("foreign token", lambda: wx.client.post(
            "/cgi-bin/message/mass/send", params={"access_token": "not-ours"},
            json={"touser": u[:2], **text}).json(), 40001),
        ("batchtagging 51", lambda: wx.cgi(acc, "tags/members/batchtagging",
                                           {"openid_list": u[:51], "tagid": tag}), 40032),
        ("tagging a stranger", lambda: wx.cgi(acc, "tags/members/batchtagging", {
            "openid_list": [u[0], "oStranger"], "tagid": tag}), 40003),
    ]


CASES = ["0 OpenIDs", "1 OpenID", "10,001 OpenIDs", "unknown OpenID", "unknown tag",
         "oversized clientmsgid", "bad msgtype", "empty text", "missing token", "foreign token",
         "batchtagging 51", "tagging a stranger"]


@pytest.mark.parametrize("case", CASES)
def test_bad_call_gets_its_errcode_and_writes_nothing(wx: Wx, case: str) -> None:
    acc = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(acc, 10_000)
    tag = wx.tag(acc, "t", u[:3])
    wx.at(acc, local("2026-07-10T10:00:00"))
    before = snapshot(wx, acc, u)
    name, call, errcode = next(c for c in _calls(wx, acc, u, tag) if c[0] == case)
    answer = call()
    assert answer["errcode"] == errcode, (name, answer)
    assert re.search(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$", answer["errmsg"])
    assert snapshot(wx, acc, u) == before


def test_61st_call_and_expired_token_consume_nothing(wx: Wx) -> None:
    acc = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(acc, 3)
    wx.at(acc, local("2026-07-10T10:00:00"))
    for _ in range(60):
        assert wx.send(acc, u[:1])["errcode"] == 40130
    before = snapshot(wx, acc, u)
    assert wx.send(acc, u)["errcode"] == 45011
    assert snapshot(wx, acc, u) == before
    assert wx.quota(acc)["api"]["/cgi-bin/message/mass/send"]["used"] == 60
    # a token older than 7200 s (M24): 42001, and nothing counts
    moved = wx.client.post("/v1/sandbox/clock", headers=ADMIN,
                           json={"appid": acc.appid, "advance_s": 7200})
    assert moved.status_code == 200
    answer = wx.send(acc, u)
    assert answer["errcode"] == 42001
    assert wx.quota(acc)["per_minute"]["used"] == 0


def test_replaced_token_works_for_five_minutes_then_not(wx: Wx) -> None:
    acc = wx.account(local("2026-07-01T00:00:00"))
    old = acc.token
    wx.refresh(acc)
    assert wx.client.get("/cgi-bin/tags/get", params={"access_token": old}).json()["tags"]
    wx.client.post("/v1/sandbox/clock", headers=ADMIN, json={"appid": acc.appid,
                                                              "advance_s": 300})
    assert wx.client.get("/cgi-bin/tags/get",
                         params={"access_token": old}).json()["errcode"] == 40001


def test_unverified_account_gets_48001_but_can_record_website_sends(wx: Wx) -> None:
    acc = wx.account(local("2026-07-01T00:00:00"), verified=False)
    wx.followers(acc, 2)
    assert wx.sendall_all(acc)["errcode"] == 48001
    assert wx.web_send(acc, {"is_to_all": True}).status_code == 201  # M1


def test_clear_quota_limit_and_foreign_appid(wx: Wx) -> None:
    acc = wx.account(local("2026-07-01T00:00:00"))
    assert wx.cgi(acc, "clear_quota", {"appid": "wx0000000000000000"})["errcode"] == 40013
    for _ in range(10):
        assert wx.cgi(acc, "clear_quota", {"appid": acc.appid})["errcode"] == 0
    assert wx.cgi(acc, "clear_quota", {"appid": acc.appid})["errcode"] == 48006
    assert wx.cgi(acc, "openapi/quota/get", {"cgi_path": "/cgi-bin/nope"})["errcode"] == 76021
