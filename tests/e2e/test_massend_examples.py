"""Worked examples X1–X18 of spec/wechat-mass-send.md §7, over HTTP and the database.

Times are written as Asia/Shanghai wall times (``local("2026-07-03T10:00:00")`` is
2026-07-03T10:00:00+08:00, i.e. 02:00:00Z). Tag ids are whatever ``tags/create`` returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.massend_support import ADMIN, Wx, local
from tollhouse.adapters.counters.base import Bucket
from tollhouse.services import massend as svc
from tollhouse.services.runtime import Runtime


@pytest.fixture
def wx(client: Any, runtime: Runtime) -> Wx:
    return Wx(client, runtime)


def x1(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(svc_, 3)
    tag = wx.tag(svc_, "t101", u)
    wx.at(svc_, local("2026-07-03T10:00:00"))
    sent = wx.sendall_tag(svc_, tag)
    assert sent["errcode"] == 0 and sent["msg_id"] >= 1_000_000_001
    assert [wx.u(svc_, o, "2026-07") for o in u] == [1, 1, 1]
    quota = wx.quota(svc_)
    assert quota["history"]["month"]["used"] == 0
    assert quota["history"]["day"]["used"] == 0
    assert quota["api"]["/cgi-bin/message/mass/sendall"]["used"] == 1
    assert wx.event(svc_, sent["msg_id"]) == ("send success", 3, 3, 3, 0)


def x2(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u1, u2 = wx.followers(svc_, 2)
    only_u1 = wx.tag(svc_, "only-u1", [u1])
    only_u2 = wx.tag(svc_, "only-u2", [u2])
    for day in ("02", "09"):
        wx.at(svc_, local(f"2026-07-{day}T09:00:00"))
        assert wx.web_send(svc_, {"tag_id": only_u1}).status_code == 201
    for day in ("15", "20"):
        wx.at(svc_, local(f"2026-07-{day}T09:00:00"))
        assert wx.sendall_tag(svc_, only_u1)["errcode"] == 0
    assert wx.sendall_tag(svc_, only_u2)["errcode"] == 0
    wx.at(svc_, local("2026-07-25T20:00:00"))
    sent = wx.send(svc_, [u1, u2])
    assert sent["errcode"] == 0
    assert (wx.u(svc_, u1, "2026-07"), wx.u(svc_, u2, "2026-07")) == (4, 2)
    assert wx.event(svc_, sent["msg_id"]) == ("send success", 2, 1, 1, 0)
    assert wx.job(svc_, sent["msg_id"])["filter_breakdown"]["at_cap"] == 1


def x3(wx: Wx) -> None:
    svc_ = wx.account(local("2026-06-30T00:00:00"))
    (u1,) = wx.followers(svc_, 1)
    tag = wx.tag(svc_, "u1", [u1])
    for when in ("07-01T10:00:00", "07-01T11:00:00", "07-02T09:00:00", "07-02T10:00:00"):
        wx.at(svc_, local(f"2026-{when}"))
        assert wx.sendall_tag(svc_, tag)["errcode"] == 0
    wx.at(svc_, local("2026-07-31T10:00:00"))  # a 30-day window opened 07-01T10:00 ends now
    sent = wx.sendall_tag(svc_, tag)
    assert sent["errcode"] == 0
    assert wx.u(svc_, u1, "2026-07") == 4
    assert wx.event(svc_, sent["msg_id"]) == ("send success", 1, 0, 0, 0)


def x4(wx: Wx) -> None:
    svc_ = wx.account(local("2026-06-20T00:00:00"))
    u1, *_others = wx.followers(svc_, 3)
    for day in ("03", "10", "17"):
        wx.at(svc_, local(f"2026-07-{day}T09:00:00"))
        assert wx.web_send(svc_, {"is_to_all": True}).status_code == 201
    wx.at(svc_, local("2026-07-24T09:00:00"))
    assert wx.sendall_all(svc_)["errcode"] == 0
    assert wx.quota(svc_)["history"]["month"]["used"] == 4
    assert wx.u(svc_, u1, "2026-07") == 4
    wx.at(svc_, local("2026-07-25T09:00:00"))
    (u9,) = wx.followers(svc_, 1)
    tag = wx.tag(svc_, "t107", [u1, u9])
    wx.at(svc_, local("2026-07-28T09:00:00"))
    sent = wx.sendall_tag(svc_, tag)
    assert sent["errcode"] == 0
    assert (wx.u(svc_, u1, "2026-07"), wx.u(svc_, u9, "2026-07")) == (4, 1)
    assert wx.event(svc_, sent["msg_id"]) == ("send success", 2, 1, 1, 0)
    assert wx.quota(svc_)["history"]["month"]["used"] == 4
    wx.at(svc_, local("2026-07-30T09:00:00"))
    assert wx.sendall_all(svc_)["errcode"] == 45028
    web = wx.web_send(svc_, {"is_to_all": True})
    assert web.status_code == 409
    assert web.json()["error"]["code"] == "wechat.send_cap_reached"
    assert web.json()["error"]["details"]["errcode"] == 45028


def x5(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    wx.followers(svc_, 2)
    wx.at(svc_, local("2026-07-10T09:00:00"))
    assert wx.sendall_all(svc_)["errcode"] == 0
    quota = wx.quota(svc_)
    assert (quota["history"]["day"]["used"], quota["history"]["month"]["used"]) == (1, 1)
    wx.at(svc_, local("2026-07-10T21:00:00"))
    refused = wx.sendall_all(svc_)
    assert refused["errcode"] == 45028
    assert refused["errmsg"].startswith("has no masssend quota rid: ")
    wx.at(svc_, local("2026-07-11T00:00:05"))  # 2026-07-10T16:00:05Z: still 07-10 in UTC
    assert wx.sendall_all(svc_)["errcode"] == 0
    quota = wx.quota(svc_)
    assert (quota["day"], quota["history"]["day"]["used"]) == ("2026-07-11", 1)
    assert quota["history"]["month"]["used"] == 2


def x6(wx: Wx) -> None:
    sub = wx.account(local("2026-07-01T00:00:00"), type="subscription")
    u = wx.followers(sub, 2)
    tag = wx.tag(sub, "t103", u)
    wx.at(sub, local("2026-07-10T08:00:00"))
    assert wx.sendall_tag(sub, tag)["errcode"] == 0
    assert wx.quota(sub)["subscription_day"]["used"] == 1
    wx.at(sub, local("2026-07-10T23:30:00"))
    assert wx.sendall_all(sub)["errcode"] == 45028
    wx.at(sub, local("2026-07-11T00:00:05"))
    assert wx.sendall_all(sub)["errcode"] == 0
    assert wx.quota(sub)["subscription_day"] == {"period": "2026-07-11", "used": 1, "limit": 1}
    wx.at(sub, local("2026-07-12T09:00:00"))
    assert wx.sendall_all(sub)["errcode"] == 0
    wx.at(sub, local("2026-07-12T18:00:00"))
    assert wx.sendall_tag(sub, tag)["errcode"] == 45028


def x7(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u1, u2 = wx.followers(svc_, 2)
    tag = wx.tag(svc_, "t101", [u1, u2])
    wx.at(svc_, local("2026-07-10T10:00:00"))
    first = wx.sendall_tag(svc_, tag, "same", clientmsgid="c-001")
    assert first["errcode"] == 0
    wx.at(svc_, local("2026-07-10T10:00:30"))
    assert wx.sendall_tag(svc_, tag, "same", clientmsgid="c-001")["errcode"] == 45066
    wx.at(svc_, local("2026-07-10T10:02:00"))
    dup = wx.sendall_tag(svc_, tag, "same", clientmsgid="c-001")
    assert (dup["errcode"], dup["msg_id"]) == (45065, first["msg_id"])
    assert dup["errmsg"].startswith("clientmsgid exist")
    quota = wx.quota(svc_)
    assert quota["api"]["/cgi-bin/message/mass/sendall"]["used"] == 3
    assert quota["per_minute"]["used"] == 1  # the 10:02 minute
    assert [wx.u(svc_, o, "2026-07") for o in (u1, u2)] == [1, 1]
    wx.at(svc_, local("2026-07-11T10:00:01"))
    again = wx.sendall_tag(svc_, tag, "same", clientmsgid="c-001")
    assert again["errcode"] == 0 and again["msg_id"] != first["msg_id"]
    assert [wx.u(svc_, o, "2026-07") for o in (u1, u2)] == [2, 2]


def x8(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(svc_, 2)
    t101, t102 = wx.tag(svc_, "t101", u[:1]), wx.tag(svc_, "t102", u[1:])
    wx.at(svc_, local("2026-07-10T10:00:00"))
    m1 = wx.sendall_tag(svc_, t101, "Summer sale")
    assert m1["errcode"] == 0
    wx.at(svc_, local("2026-07-10T15:00:00"))
    dup = wx.sendall_tag(svc_, t101, "Summer sale")
    assert (dup["errcode"], dup["msg_id"]) == (45065, m1["msg_id"])
    assert wx.sendall_tag(svc_, t102, "Summer sale")["errcode"] == 0


def x9(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(svc_, 10_000)
    wx.at(svc_, local("2026-07-14T10:00:00"))
    assert wx.send(svc_, u[:1])["errcode"] == 40130
    assert wx.send(svc_, u)["errcode"] == 0
    assert wx.send(svc_, [*u, "oNotAFollowerAtAll0000000000"])["errcode"] == 40032
    quota = wx.cgi(svc_, "openapi/quota/get", {"cgi_path": "/cgi-bin/message/mass/send"})
    assert quota["quota"] == {"daily_limit": 100, "used": 3, "remain": 97}
    big = wx.account(local("2026-07-01T00:00:00"))
    many = wx.followers(big, 25_000)
    wx.at(big, local("2026-07-14T10:00:00"))
    for start in range(0, 25_000, 10_000):
        sent = wx.send(big, many[start:start + 10_000], clientmsgid=f"part-{start}")
        assert sent["errcode"] == 0
    quota = wx.quota(big)
    assert quota["api"]["/cgi-bin/message/mass/send"]["used"] == 3
    assert quota["per_minute"]["used"] == 3


def x10(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u = wx.followers(svc_, 2)
    wx.at(svc_, local("2026-07-10T10:00:00"))
    answers = [wx.send(svc_, u[:1]) for _ in range(60)]  # each judged on its merits: 40130
    assert {a["errcode"] for a in answers} == {40130}
    wx.at(svc_, local("2026-07-10T10:00:59"))
    over = wx.send(svc_, u)
    assert over["errcode"] == 45011
    assert wx.quota(svc_)["api"]["/cgi-bin/message/mass/send"]["used"] == 60
    assert wx.u(svc_, u[0], "2026-07") == 0
    wx.at(svc_, local("2026-07-10T10:01:00"))
    assert wx.send(svc_, u)["errcode"] == 0


def x11(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    u1, u2, u3 = wx.followers(svc_, 3)
    wx.patch_follower(svc_, u2, receive_off=True)
    wx.at(svc_, local("2026-07-05T09:00:00"))
    wx.patch_follower(svc_, u3, subscribed=False)
    wx.at(svc_, local("2026-07-12T12:00:00"))
    wx.patch_account(svc_, settings={"former_follower_in_list": "reject"})
    assert wx.send(svc_, [u1, u2, u3], "hello")["errcode"] == 40003
    assert [wx.u(svc_, o, "2026-07") for o in (u1, u2, u3)] == [0, 0, 0]
    wx.patch_account(svc_, settings={"former_follower_in_list": "filter"})
    sent = wx.send(svc_, [u1, u2, u3], "hello")
    assert sent["errcode"] == 0
    assert wx.event(svc_, sent["msg_id"]) == ("send success", 3, 1, 1, 0)
    assert [wx.u(svc_, o, "2026-07") for o in (u1, u2, u3)] == [1, 0, 0]
    breakdown = wx.job(svc_, sent["msg_id"])["filter_breakdown"]
    assert breakdown == {"former_follower": 1, "receive_off": 1, "at_cap": 0}


def x12(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"), mass_protection=True)
    u = wx.followers(svc_, 2)
    wx.at(svc_, local("2026-07-15T09:00:00"))
    first = wx.sendall_all(svc_)
    assert first["errcode"] == 0
    assert wx.status(svc_, first["msg_id"]) == "SENDING"
    quota = wx.quota(svc_)
    assert (quota["history"]["day"]["used"], quota["history"]["month"]["used"]) == (1, 1)
    wx.at(svc_, local("2026-07-15T09:10:00"))
    assert wx.cgi(svc_, "message/mass/speed/set", {"speed": 1})["errcode"] == 89504
    assert wx.sendall_all(svc_)["errcode"] == 45028
    moved = wx.at(svc_, local("2026-07-15T09:30:00"))
    assert any(r["kind"] == svc.CONFIRM_TIMEOUT for r in moved["ran"])
    assert wx.status(svc_, first["msg_id"]) == "SEND_FAIL"
    assert wx.event(svc_, first["msg_id"]) == ("send fail", 0, 0, 0, 0)
    quota = wx.quota(svc_)
    assert (quota["history"]["day"]["used"], quota["history"]["month"]["used"]) == (0, 0)
    assert wx.u(svc_, u[0], "2026-07") == 0
    wx.at(svc_, local("2026-07-15T09:40:00"))
    second = wx.sendall_all(svc_)
    assert second["errcode"] == 0
    wx.at(svc_, local("2026-07-15T09:45:00"))
    confirmed = wx.client.post(
        f"/v1/wechat/accounts/{svc_.appid}/jobs/{second['msg_id']}/confirmation",
        headers=ADMIN, json={"decision": "approve"})
    assert confirmed.status_code == 200, confirmed.json()
    assert ["dispatched", "2026-07-15T01:45:00+00:00"] in confirmed.json()["timeline"]
    assert wx.u(svc_, u[0], "2026-07") == 1
    assert wx.status(svc_, second["msg_id"]) == "SEND_SUCCESS"


def x13(wx: Wx) -> None:
    svc_ = wx.account(local("2026-07-01T00:00:00"))
    (u1,) = wx.followers(svc_, specs=[{"wxname": "alice"}])
    tag = wx.tag(svc_, "u1", [u1])
    wx.at(svc_, local("2026-07-05T09:00:00"))
    job = wx.cgi(svc_, "message/mass/sendall", {"filter": {"is_to_all": False, "tag_id": tag},
                                                "msgtype": "mpnews",
                                                "mpnews": {"media_id": "m-1"}})
    assert job["errcode"] == 0 and job["msg_data_id"] == job["msg_id"]
    wx.seed(svc_, u1, "2026-07", 4)
    wx.at(svc_, local("2026-07-10T09:00:00"))
    history = wx.quota(svc_)["history"]
    for _ in range(100):
        done = wx.cgi(svc_, "message/mass/preview", {"towxname": "alice", **wx.text()})
        assert (done["errcode"], done["errmsg"]) == (0, "preview success")
    assert wx.cgi(svc_, "message/mass/preview",
                  {"towxname": "alice", **wx.text()})["errcode"] == 45009
    assert wx.cgi(svc_, "message/mass/preview", {"touser": u1, **wx.text()})["errcode"] == 0
    assert wx.u(svc_, u1, "2026-07") == 4
    deleted = wx.cgi(svc_, "message/mass/delete", {"msg_id": job["msg_id"], "article_idx": 0})
    assert deleted == {"errcode": 0, "errmsg": "ok"}
    assert wx.status(svc_, job["msg_id"]) == "DELETE"
    assert wx.u(svc_, u1, "2026-07") == 4
    assert wx.quota(svc_)["history"] == history


def x14(wx: Wx) -> None:
    svc_ = wx.account(local("2026-08-20T00:00:00"))
    others = wx.followers(svc_, 2)
    tag = wx.tag(svc_, "t120", others)
    for day in ("02", "08", "15"):
        wx.at(svc_, local(f"2026-09-{day}T10:00:00"))
        assert wx.sendall_tag(svc_, tag)["errcode"] == 0
    wx.at(svc_, local("2026-09-16T14:00:00"))
    (u5,) = wx.followers(svc_, 1)
    assert wx.cgi(svc_, "tags/members/batchtagging", {"openid_list": [u5], "tagid": tag})[
        "errcode"] == 0
    assert wx.u(svc_, u5, "2026-09") == 0
    wx.at(svc_, local("2026-09-18T10:00:00"))
    wx.sendall_tag(svc_, tag)
    assert wx.u(svc_, u5, "2026-09") == 1
    wx.at(svc_, local("2026-09-20T09:00:00"))
    wx.patch_follower(svc_, u5, subscribed=False)
    wx.at(svc_, local("2026-09-22T09:00:00"))
    again = wx.patch_follower(svc_, u5, subscribed=True)
    assert again["tags"] == [tag]
    assert wx.u(svc_, u5, "2026-09") == 1
    for n, day in enumerate(("23", "25", "28"), start=2):
        wx.at(svc_, local(f"2026-09-{day}T10:00:00"))
        wx.sendall_tag(svc_, tag)
        assert wx.u(svc_, u5, "2026-09") == n
    wx.at(svc_, local("2026-09-29T10:00:00"))
    last = wx.sendall_tag(svc_, tag)
    assert wx.job(svc_, last["msg_id"])["filtered"]["at_cap"] == others + [u5]
    wx.at(svc_, local("2026-10-02T10:00:00"))
    wx.sendall_tag(svc_, tag)
    assert (wx.u(svc_, u5, "2026-09"), wx.u(svc_, u5, "2026-10")) == (4, 1)


def _seed_bulk(wx: Wx, appid: str, month: str, counts: dict[str, int]) -> None:
    """Fixture seeding in bulk (the admin PUT does one follower a call)."""
    with wx.runtime.uow(readonly=True) as uow:
        ordinals = {o: f["ordinal"] for o in counts if (f := uow.massend.follower(appid, o))}
    svc.quota_counter(wx.runtime).seed(Bucket(appid, month),
                                       {ordinals[o]: n for o, n in counts.items()})


def x15(wx: Wx) -> None:
    for faults in (0, 2):
        svc_ = wx.account(local("2026-09-01T00:00:00"))
        lst = wx.followers(svc_, 10_000)
        at_cap = lst[100:137]
        _seed_bulk(wx, svc_.appid, "2026-09",
                   {**{o: i % 4 for i, o in enumerate(lst)}, **dict.fromkeys(at_cap, 4)})
        for openid in lst[500:500 + faults]:
            wx.patch_follower(svc_, openid, delivery_fault=True)
        wx.at(svc_, local("2026-09-10T20:00:00"))
        sent = wx.send(svc_, lst)
        assert sent["errcode"] == 0
        assert wx.event(svc_, sent["msg_id"]) == ("send success", 10_000, 9963, 9963 - faults,
                                                  faults)
        assert [wx.u(svc_, o, "2026-09") for o in at_cap[:3]] == [4, 4, 4]
        assert wx.u(svc_, lst[1], "2026-09") == 2
        assert wx.quota(svc_)["api"]["/cgi-bin/message/mass/send"]["used"] == 1


def x16(wx: Wx) -> None:
    svc_ = wx.account(local("2026-09-01T00:00:00"))
    everyone = wx.followers(svc_, 10_000)
    a, b = everyone[:6000], everyone[4000:]
    _seed_bulk(wx, svc_.appid, "2026-09", dict.fromkeys(everyone[4000:6000], 3))
    wx.at(svc_, local("2026-09-10T21:00:00"))
    answers: list[dict[str, Any]] = []

    def fire(lst: list[str]) -> None:
        answers.append(svc.send(wx.runtime, svc_.token, {"touser": lst, **wx.text()}))

    threads = [threading.Thread(target=fire, args=(lst,)) for lst in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [x["errcode"] for x in answers] == [0, 0]
    events = sorted(wx.event(svc_, x["msg_id"])[1:] for x in answers)
    assert events == [(6000, 4000, 4000, 0), (6000, 6000, 6000, 0)]
    histogram = svc.histogram(wx.runtime, svc_.appid, "2026-09")["bars"]
    assert histogram == {0: 0, 1: 8000, 2: 0, 3: 0, 4: 2000}


def x17(wx: Wx) -> None:
    svc_ = wx.account(local("2026-08-10T00:00:00"))
    (u7,) = wx.followers(svc_, 1)
    tag = wx.tag(svc_, "t130", [u7])
    wx.at(svc_, local("2026-09-01T09:00:00"))
    assert wx.web_send(svc_, {"is_to_all": True}).status_code == 201
    wx.at(svc_, local("2026-09-08T09:00:00"))
    assert wx.sendall_all(svc_)["errcode"] == 0
    wx.at(svc_, local("2026-09-15T09:00:00"))
    assert wx.sendall_tag(svc_, tag)["errcode"] == 0
    wx.at(svc_, local("2026-09-15T12:00:00"))
    answer = wx.client.get(f"/v1/wechat/accounts/{svc_.appid}/followers/{u7}/quota",
                           params={"month": "2026-09"}, headers=ADMIN).json()
    assert answer == {"month": "2026-09", "cap": 4, "received": 3, "remaining": 1,
                      "period_start": "2026-09-01T00:00:00+08:00",
                      "resets_at": "2026-10-01T00:00:00+08:00"}
    quota = wx.quota(svc_)
    assert quota["history"]["month"] == {"period": "2026-09", "used": 2, "limit": 4}
    assert quota["history"]["day"] == {"period": "2026-09-15", "used": 0, "limit": 1}
    got = wx.cgi(svc_, "openapi/quota/get", {"cgi_path": "/cgi-bin/message/mass/sendall"})
    assert got == {"errcode": 0, "errmsg": "ok",
                   "quota": {"daily_limit": 100, "used": 1, "remain": 99},
                   "rate_limit": {"call_count": 60, "refresh_second": 60}}


def x18(wx: Wx) -> None:
    for variant in ("v2", "v1-resend"):
        sub = wx.account(local("2026-10-01T00:00:00"), type="subscription", review_mode="manual")
        tag = wx.tag(sub, "t103", wx.followers(sub, 2))
        wx.at(sub, local("2026-10-14T09:00:00"))
        first = wx.sendall_tag(sub, tag, "v1")
        assert first["errcode"] == 0
        assert wx.quota(sub)["subscription_day"]["used"] == 1
        assert wx.status(sub, first["msg_id"]) == "SENDING"
        wx.at(sub, local("2026-10-14T09:05:00"))
        review = f"/v1/wechat/accounts/{sub.appid}/jobs/{first['msg_id']}/review"
        rejected = wx.client.post(review, headers=ADMIN, json={"verdict": "reject", "code": 20001})
        assert rejected.status_code == 200, rejected.json()
        assert wx.event(sub, first["msg_id"]) == ("err(20001)", 0, 0, 0, 0)
        assert wx.status(sub, first["msg_id"]) == "SEND_FAIL"
        assert wx.quota(sub)["subscription_day"]["used"] == 0
        wx.at(sub, local("2026-10-14T11:00:00"))
        if variant == "v2":
            second = wx.sendall_tag(sub, tag, "v2")
            assert second["errcode"] == 0
            wx.at(sub, local("2026-10-14T11:01:00"))
            passed = wx.client.post(f"/v1/wechat/accounts/{sub.appid}/jobs/"
                                    f"{second['msg_id']}/review", headers=ADMIN,
                                    json={"verdict": "pass"})
            assert ["dispatched", "2026-10-14T03:01:00+00:00"] in passed.json()["timeline"]
            assert wx.quota(sub)["subscription_day"]["used"] == 1
            wx.at(sub, local("2026-10-14T15:00:00"))
            assert wx.sendall_all(sub)["errcode"] == 45028
        else:
            resend = wx.sendall_tag(sub, tag, "v1")
            assert (resend["errcode"], resend["msg_id"]) == (45065, first["msg_id"])
            wx.at(sub, local("2026-10-14T15:00:00"))
            assert wx.sendall_all(sub)["errcode"] == 0


EXAMPLES: list[tuple[str, Callable[[Wx], None]]] = [
    ("X1", x1), ("X2", x2), ("X3", x3), ("X4", x4), ("X5", x5), ("X6", x6), ("X7", x7),
    ("X8", x8), ("X9", x9), ("X10", x10), ("X11", x11), ("X12", x12), ("X13", x13),
    ("X14", x14), ("X15", x15), ("X16", x16), ("X17", x17), ("X18", x18),
]


@pytest.mark.parametrize("example", [pytest.param(fn, id=f"massend-{name}")
                                     for name, fn in EXAMPLES])
def test_worked_example(example: Callable[[Wx], None], wx: Wx) -> None:
    example(wx)
