"""WeCom activation codes through the platform-shaped HTTP API (spec §2.5-§2.9, §4.3-§4.5)."""



from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.test_wecom_orders_api import ADMIN, Wecom
from tests.factories import SPEC_NOW, a_corp, a_provider
from tollhouse.services import licence_setup as setup

NOW = 1714960800  # 2024-05-06 10:00 Asia/Shanghai
DAY = 86400
CORP = "wwcorpA"


class Codes(Wecom):
    def buy(self, *, base: int = 0, interop: int = 0, months: int = 1,
            corpid: str = CORP) -> dict[int, list[str]]:
        order = self.order(corpid=corpid, account_count={"base_count": base,
                                                         "external_contact_count": interop},
                           account_duration={"months": months})
        assert order["errcode"] == 0, order
        self.pay(order["order_id"])
        listed = self("list_order_account", {"order_id": order["order_id"], "limit": 1000})
        by_type: dict[int, list[str]] = {1: [], 2: []}
        for account in listed["account_list"]:
            by_type[account["type"]].append(account["active_code"])
        return by_type

    def activate(self, code: str, userid: str, corpid: str = CORP) -> int:
        answer = self("active_account", {"corpid": corpid, "active_code": code, "userid": userid})
        return int(answer["errcode"])

    def info(self, code: str, corpid: str = CORP) -> dict[str, Any]:
        answer = self("get_active_info_by_code", {"corpid": corpid, "active_code": code})
        assert answer["errcode"] == 0, answer
        return dict(answer["active_info"])

    def advance(self, seconds: int) -> list[dict[str, str]]:
        moved = self.client.post("/v1/sandbox/clock", headers=ADMIN,
                                 json={"provider": "wwprov", "advance_s": seconds}).json()
        return list(moved["ran"])

    def check(self, userid: str, api_class: str = "basic", corpid: str = CORP) -> dict[str, Any]:
        response = self.client.post("/v1/wecom/licences/check", headers=ADMIN, json={
            "provider": "wwprov", "corpid": corpid, "suite_id": "suite1", "userid": userid,
            "api_class": api_class})
        return dict(response.json())

    def events(self, kind: str) -> list[dict[str, Any]]:
        return list(self.client.get("/v1/events", headers=ADMIN,
                                    params={"kind": kind}).json()["events"])


@pytest.fixture
def wecom(runtime: Any, client: Any) -> Codes:
    a_provider(runtime)
    return Codes(client)


# --- activation (L33-L42) --------------------------------------------------------------------


def test_L35_activation_binds_the_code_for_its_duration_from_now(wecom: Codes) -> None:
    codes = wecom.buy(base=1, months=2)
    code = codes[1][0]
    before = wecom.info(code)
    assert (before["status"], before["create_time"]) == (1, NOW)
    assert "userid" not in before
    assert "expire_time" not in before
    assert wecom.activate(code, "u1") == 0
    after = wecom.info(code)
    assert after["status"] == 2
    assert after["userid"] == "u1"
    assert after["active_time"] == NOW
    assert after["expire_time"] == NOW + 62 * DAY


@pytest.mark.parametrize("expected_errcode", [pytest.param(701082, id="licences-W7")])
def test_W7_reactivation_with_21_days_left_is_refused(wecom: Codes,
                                                      expected_errcode: int) -> None:
    codes = wecom.buy(base=2, months=1)
    a, b = codes[1]
    assert wecom.activate(a, "u1") == 0
    wecom.advance(10 * DAY)  # A: 31 − 10 = 21 days left, expire 2024-06-06 10:00
    assert wecom.activate(b, "u1") == expected_errcode
    assert wecom.info(a)["status"] == 2
    assert wecom.info(a)["expire_time"] == NOW + 31 * DAY
    assert wecom.info(b)["status"] == 1
    assert "userid" not in wecom.info(b)


@pytest.mark.parametrize("b_months", [pytest.param(12, id="licences-W8")])
def test_W8_basic_beside_a_valid_interop_never_merges(wecom: Codes, b_months: int) -> None:
    interop = wecom.buy(interop=1)[2][0]
    basic = wecom.buy(base=1, months=b_months)[1][0]
    assert wecom.activate(interop, "u2") == 0
    assert wecom.activate(basic, "u2") == 0
    b = wecom.info(basic)
    assert b["expire_time"] == b["active_time"] + 372 * DAY
    assert "merge_info" not in b
    assert "merge_info" not in wecom.info(interop)
    user = wecom("get_active_info_by_user", {"corpid": CORP, "userid": "u2"})
    assert user["active_status"] == 1
    assert sorted(e["type"] for e in user["active_info_list"]) == [1, 2]


def test_L36_reactivation_with_20_days_or_less_merges_and_carries_the_remaining_time(
    wecom: Codes,
) -> None:
    a, b = wecom.buy(base=2, months=1)[1]
    assert wecom.activate(a, "u1") == 0
    wecom.advance(15 * DAY)  # 16 days left
    assert wecom.activate(b, "u1") == 0
    now = NOW + 15 * DAY
    merged, new = wecom.info(a), wecom.info(b)
    assert merged["status"] == 5
    assert merged["expire_time"] == now  # reset to the merge time
    assert merged["merge_info"] == {"to_active_code": b}
    assert new["merge_info"] == {"from_active_code": a}
    assert new["expire_time"] == now + 31 * DAY + 16 * DAY
    user = wecom("get_active_info_by_user", {"corpid": CORP, "userid": "u1"})
    assert [e["active_code"] for e in user["active_info_list"]] == [b]
    c = wecom.buy(base=1)[1][0]
    assert wecom("batch_active_account", {"corpid": CORP, "active_list": [
        {"active_code": a, "userid": "u3"}, {"active_code": c, "userid": "u4"}]})[
        "active_result"][0]["errcode"] == 701914  # a merged code can never activate again


def test_L38_stacking_past_1860_days_is_701030(wecom: Codes) -> None:
    a = wecom.buy(base=1, months=1)[1][0]
    assert wecom.activate(a, "u1") == 0
    wecom.advance(21 * DAY)  # 10 days left
    b = wecom.buy(base=1, months=60)[1][0]  # 1 860 days + 10 > 1 860
    assert wecom.activate(b, "u1") == 701030
    assert wecom.info(b)["status"] == 1
    assert wecom.info(a)["status"] == 2


def test_L34_a_code_must_be_activated_within_365_days(wecom: Codes, runtime: Any) -> None:
    code = wecom.buy(base=1)[1][0]
    with runtime.uow() as uow:  # jump the clock: no daily chain has started yet
        uow.tenants.set_clock("wecom:wwprov", SPEC_NOW + timedelta(days=365) - timedelta(seconds=1))
        uow.commit()
    assert wecom.info(code)["status"] == 1
    with runtime.uow() as uow:
        uow.tenants.set_clock("wecom:wwprov", SPEC_NOW + timedelta(days=365))
        uow.commit()
    assert wecom.info(code)["status"] == 3
    assert wecom.activate(code, "u1") == 701012
    assert "userid" not in wecom.info(code)


@pytest.mark.parametrize(
    ("corpid", "userid", "errcode"),
    [
        pytest.param(CORP, "ghost", 701019, id="L40-unknown-member"),
        pytest.param(CORP, "u9", 701088, id="L40-outside-visible-range"),
        pytest.param("wwtest", "u1", 701021, id="L40-code-of-another-corp"),
        pytest.param("wwnobody", "u1", 40013, id="unknown-corp"),
    ],
)
def test_L40_activation_preconditions(wecom: Codes, runtime: Any, corpid: str, userid: str,
                                      errcode: int) -> None:
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u9", "visible": False}])
    code = wecom.buy(base=1)[1][0]
    assert wecom.activate(code, userid, corpid) == errcode
    assert wecom.info(code)["status"] == 1


def test_L41_batch_reports_each_item_and_applies_the_valid_ones(wecom: Codes) -> None:
    c1, c2, c3 = wecom.buy(base=3)[1]
    answer = wecom("batch_active_account", {"corpid": CORP, "active_list": [
        {"active_code": c1, "userid": "u1"}, {"active_code": c1, "userid": "u2"},
        {"active_code": c2, "userid": "u1"}, {"active_code": "LCNOPE", "userid": "u3"},
        {"active_code": c3, "userid": "ghost"}]})
    assert answer["errcode"] == 0
    assert [r["errcode"] for r in answer["active_result"]] == [0, 701023, 701020, 701021, 701019]
    assert wecom.info(c1)["userid"] == "u1"
    assert wecom.info(c2)["status"] == 1
    failed = wecom("batch_active_account", {"corpid": CORP, "active_list": [
        {"active_code": c1, "userid": "u2"}]})
    assert failed["errcode"] == 701024
    assert failed["active_result"] == [{"active_code": c1, "userid": "u2", "errcode": 701003}]


@pytest.mark.parametrize(("size", "errcode"), [pytest.param(1001, 701026, id="licences-W12"),
                                               pytest.param(1000, 0, id="licences-W12-1000"),
                                               pytest.param(0, 701025, id="L41-empty")])
def test_W12_batch_sizes(wecom: Codes, size: int, errcode: int) -> None:
    code = wecom.buy(base=1)[1][0]
    items = [{"active_code": code, "userid": "u1"}] + [
        {"active_code": f"LCX{i}", "userid": f"x{i}"} for i in range(size - 1)]
    answer = wecom("batch_active_account", {"corpid": CORP, "active_list": items[:size]})
    assert answer["errcode"] == errcode
    if errcode:
        assert set(answer) == {"errcode", "errmsg"}
        assert wecom.info(code)["status"] == 1  # nothing processed
    else:
        assert len(answer["active_result"]) == size
        assert wecom.info(code)["userid"] == "u1"
    pairs = [{"handover_userid": f"h{i}", "takeover_userid": f"t{i}"} for i in range(size)]
    transfer = wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": pairs})
    assert transfer["errcode"] == (errcode or 701024)


def test_L42_by_type_picks_the_earliest_deadline_and_refuses_a_second_valid_one(
    wecom: Codes,
) -> None:
    first = wecom.buy(base=1)[1][0]
    wecom.advance(DAY)
    wecom.buy(base=1)
    assert wecom("active_account_by_type", {"corpid": CORP, "userid": "u1", "type": 1})[
        "errcode"] == 0
    assert wecom.info(first)["userid"] == "u1"
    assert wecom("active_account_by_type", {"corpid": CORP, "userid": "u1", "type": 1})[
        "errcode"] == 701011
    assert wecom("active_account_by_type", {"corpid": CORP, "userid": "u2", "type": 2})[
        "errcode"] == 701915
    assert wecom("active_account_by_type", {"corpid": CORP, "userid": "u2", "type": 3})[
        "errcode"] == 701006


# --- queries (L43, L44, L66) -------------------------------------------------------------------


def test_L43_list_actived_account_pages_and_includes_expired_members(wecom: Codes) -> None:
    codes = wecom.buy(base=3)[1]
    for code, user in zip(codes, ("u1", "u2", "u3"), strict=True):
        assert wecom.activate(code, user) == 0
    wecom.advance(40 * DAY)  # every code expired
    first = wecom("list_actived_account", {"corpid": CORP, "limit": 2})
    assert first["has_more"] == 1
    second = wecom("list_actived_account", {"corpid": CORP, "limit": 2,
                                            "cursor": first["next_cursor"]})
    assert second["has_more"] == 0
    listed = first["account_list"] + second["account_list"]
    assert sorted(a["userid"] for a in listed) == ["u1", "u2", "u3"]
    assert {a["expire_time"] for a in listed} == {NOW + 31 * DAY}
    assert wecom("list_actived_account", {"corpid": CORP, "limit": 0})["errcode"] == 701911
    assert wecom.info(codes[0])["status"] == 3


def test_D19_refunded_codes_are_invalid_and_bound_ones_stay(wecom: Codes) -> None:
    order = wecom.order(account_count={"base_count": 2})["order_id"]
    wecom.pay(order)
    a, b = (x["active_code"] for x in wecom("list_order_account", {"order_id": order})[
        "account_list"])
    assert wecom.activate(a, "u1") == 0
    body = {"provider": "wwprov", "order_id": order}
    wecom.client.post("/v1/sandbox/wecom/refund_request", headers=ADMIN, json=body)
    wecom.client.post("/v1/sandbox/wecom/refund_result", headers=ADMIN,
                      json={**body, "decision": "approve"})
    assert wecom.activate(b, "u2") == 701021
    read = wecom("batch_get_active_info_by_code", {"corpid": CORP,
                                                   "active_code_list": [a, b, "LCNOPE"]})
    assert read["invalid_active_code_list"] == [b, "LCNOPE"]
    assert [i["status"] for i in read["active_info_list"]] == [2]
    assert wecom.check("u1")["allowed"] is True
    assert len(wecom.events("license_refund")) == 1


# --- renewal effect (L25, done by orders) ---------------------------------------------------


def test_L25_renewal_extends_in_place_and_moves_the_reminder(wecom: Codes) -> None:
    code = wecom.buy(base=1)[1][0]
    assert wecom.activate(code, "u1") == 0
    job = wecom("create_renew_order_job", {"corpid": CORP,
                                           "account_list": [{"userid": "u1", "type": 1}]})
    order = wecom("submit_order_job", {"jobid": job["jobid"], "buyer_userid": "admin1",
                                       "account_duration": {"months": 1}})
    wecom.pay(order["order_id"])
    assert wecom.info(code)["expire_time"] == NOW + 62 * DAY
    ran = wecom.advance(56 * DAY)  # past the old reminder instant (24 d), at the new one (55 d)
    reminders = wecom.events("licence_expiring")
    assert [e["occurred_at"] for e in reminders] == [
        datetime.fromtimestamp(NOW + 55 * DAY, tz=UTC).isoformat()]
    assert not any(r["kind"] == "licence_codes.licence_expired" and "for" in r["outcome"]
                   for r in ran)


# --- transfer (L45-L48) --------------------------------------------------------------------


def test_L47_in_service_transfer_starts_a_30_day_cooldown(wecom: Codes) -> None:
    code = wecom.buy(base=1, months=3)[1][0]
    assert wecom.activate(code, "u1") == 0
    pair = {"corpid": CORP, "transfer_list": [{"handover_userid": "u1", "takeover_userid": "u2"}]}
    assert wecom("batch_transfer_license", pair)["errcode"] == 0
    assert wecom.info(code)["userid"] == "u2"
    assert wecom.info(code)["expire_time"] == NOW + 93 * DAY
    back = {"corpid": CORP, "transfer_list": [{"handover_userid": "u2", "takeover_userid": "u3"}]}
    refused = wecom("batch_transfer_license", back)
    assert refused["errcode"] == 701024
    assert refused["transfer_result"][0]["errcode"] == 701017
    wecom.advance(30 * DAY)
    assert wecom("batch_transfer_license", back)["errcode"] == 0


def test_L47_handover_who_left_starts_no_cooldown(wecom: Codes, runtime: Any) -> None:
    code = wecom.buy(base=1, months=3)[1][0]
    assert wecom.activate(code, "u1") == 0
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u1", "in_service": False}])
    pair = [{"handover_userid": "u1", "takeover_userid": "u2"}]
    assert wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": pair})[
        "errcode"] == 0
    again = [{"handover_userid": "u2", "takeover_userid": "u3"}]
    assert wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": again})[
        "errcode"] == 0


@pytest.mark.parametrize(
    ("pair", "errcode"),
    [
        pytest.param(("u1", "u1"), 701916, id="L45-same-member"),
        pytest.param(("u5", "u2"), 701016, id="L45-handover-without-licence"),
        pytest.param(("u1", "ghost"), 701019, id="L45-unknown-takeover"),
        pytest.param(("u1", "u9"), 701088, id="L45-takeover-not-visible"),
        pytest.param(("u1", "u3"), 701018, id="L46-takeover-has-more-than-20-days"),
    ],
)
def test_L45_L46_transfer_refusals_change_nothing(wecom: Codes, runtime: Any,
                                                  pair: tuple[str, str], errcode: int) -> None:
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u9", "visible": False}])
    mine, theirs = wecom.buy(base=2)[1]
    assert wecom.activate(mine, "u1") == 0
    assert wecom.activate(theirs, "u3") == 0
    answer = wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": [
        {"handover_userid": pair[0], "takeover_userid": pair[1]}]})
    assert answer["transfer_result"][0]["errcode"] == errcode
    assert wecom.info(mine)["userid"] == "u1"
    assert wecom.info(theirs)["status"] == 2


def test_D5_takeover_with_20_days_or_less_is_merged_into_the_arriving_code(wecom: Codes) -> None:
    old = wecom.buy(base=1)[1][0]
    assert wecom.activate(old, "u2") == 0
    wecom.advance(21 * DAY)  # u2: 10 days left
    arriving = wecom.buy(base=1, months=2)[1][0]
    assert wecom.activate(arriving, "u1") == 0
    answer = wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": [
        {"handover_userid": "u1", "takeover_userid": "u2"}]})
    assert answer["errcode"] == 0
    now = NOW + 21 * DAY
    assert wecom.info(arriving)["expire_time"] == now + 62 * DAY + 10 * DAY
    assert wecom.info(old)["status"] == 5


# --- sharing (L49-L51) -------------------------------------------------------------------------


def test_W15_sharing_is_capped_at_twice_the_downstream_headcount(wecom: Codes,
                                                                 runtime: Any) -> None:
    a_corp(runtime, "wwprov", "wwup", members=[{"userid": "boss"}])
    a_corp(runtime, "wwprov", "wwdown", members=[{"userid": "d1"}])
    setup.link_corps(runtime, "wwprov", "wwup", "wwdown", headcount=300)
    codes = wecom.buy(base=700, months=12, corpid="wwup")[1]
    share = {"from_corpid": "wwup", "to_corpid": "wwdown"}
    too_many = wecom("batch_share_active_code", {
        **share, "share_list": [{"active_code": c} for c in codes]})
    assert too_many["errcode"] == 701918
    assert wecom.info(codes[0], "wwup")["status"] == 1
    done = wecom("batch_share_active_code", {
        **share, "share_list": [{"active_code": c} for c in codes[:600]]})
    assert (done["errcode"], done["share_result"]) == (0, [])
    up = wecom.info(codes[0], "wwup")
    assert (up["status"], up["share_info"]) == (6, {"to_corpid": "wwdown"})
    down = wecom.info(codes[0], "wwdown")
    assert (down["status"], down["share_info"]) == (1, {"from_corpid": "wwup"})
    assert wecom.activate(codes[0], "d1", "wwdown") == 0
    assert wecom.info(codes[0], "wwdown")["status"] == 2
    assert wecom.activate(codes[1], "boss", "wwup") == 701021
    listed = wecom("list_actived_account", {"corpid": "wwdown"})["account_list"]
    assert [a["userid"] for a in listed] == ["d1"]
    again = wecom("batch_share_active_code", {
        **share, "share_list": [{"active_code": codes[0]}, {"active_code": codes[650]}]})
    assert [r["errcode"] for r in again["share_result"]] == [701917]
    unlinked = wecom("batch_share_active_code", {
        "from_corpid": "wwup", "to_corpid": CORP, "share_list": [{"active_code": codes[651]}]})
    assert unlinked["errcode"] == 701919


# --- auto-activation (L52-L56) -----------------------------------------------------------------


def test_L52_auto_activation_switch_needs_a_paid_order(wecom: Codes) -> None:
    body = {"corpid": CORP, "auto_active_status": 1}
    assert wecom("set_auto_active_status", body)["errcode"] == 701920
    assert wecom("set_auto_active_status", {**body, "auto_active_status": 2})["errcode"] == 40058
    wecom.buy(base=1)
    assert wecom("set_auto_active_status", body)["errcode"] == 0
    assert wecom("get_auto_active_status", {"corpid": CORP})["auto_active_status"] == 1
    assert wecom("get_auto_active_status", {"corpid": "wwnobody"})["errcode"] == 40013


@pytest.mark.parametrize(
    ("advance_days", "previous_status"),
    [pytest.param(None, 1, id="L54-no-licence"), pytest.param(26, 2, id="L54-5-days-left"),
     pytest.param(40, 3, id="L54-expired")],
)
def test_L53_L54_a_check_auto_activates_with_the_auto_activate_callback(
    wecom: Codes, sender: Any, runtime: Any, advance_days: int | None, previous_status: int,
) -> None:
    codes = wecom.buy(base=2)[1]
    assert wecom("set_auto_active_status", {"corpid": CORP, "auto_active_status": 1})[
        "errcode"] == 0
    if advance_days is not None:
        assert wecom.activate(codes[0], "u1") == 0
        wecom.advance(advance_days * DAY)
    answer = wecom.check("u1")
    assert (answer["allowed"], answer["reason"]) == (True, "auto_activated")
    fresh = codes[1] if advance_days is not None else codes[0]
    assert answer["active_code"] == fresh
    callback = wecom.events("auto_activate")[-1]
    fields = callback["payload"]["fields"]
    assert (fields["Scene"], fields["AuthCorpId"]) == (1, CORP)
    assert fields["AccountList"]["PreviousStatus"] == previous_status
    assert fields["AccountList"]["ActiveCode"] == fresh
    assert ("PreviousActiveCode" in fields["AccountList"]) is (advance_days is not None)
    assert "<PreviousStatus>" in callback["body"]
    assert wecom.check("u1")["reason"] == "licensed"  # once


def test_L53_a_member_with_more_than_7_days_left_is_not_auto_activated(wecom: Codes) -> None:
    codes = wecom.buy(base=2)[1]
    wecom("set_auto_active_status", {"corpid": CORP, "auto_active_status": 1})
    assert wecom.activate(codes[0], "u1") == 0
    wecom.advance(23 * DAY)  # 8 days left
    assert wecom.check("u1")["reason"] == "licensed"
    assert wecom.events("auto_activate") == []


def test_L55_no_auto_activation_while_the_trial_has_more_than_7_days(wecom: Codes,
                                                                     runtime: Any) -> None:
    a_corp(runtime, "wwprov", "wwnew", members=[{"userid": "n1"}], installed_at=SPEC_NOW)
    wecom.buy(base=1, corpid="wwnew")
    wecom("set_auto_active_status", {"corpid": "wwnew", "auto_active_status": 1})
    early = wecom.check("n1", corpid="wwnew")
    assert (early["allowed"], early["reason"], early["detail"]) == (
        True, "before_check_time", "in_trial")
    assert early["until_unix"] == NOW + 90 * DAY
    assert wecom.events("auto_activate") == []
    wecom.advance(83 * DAY)  # 7 days before the check time: a code is consumed now
    assert wecom.check("n1", corpid="wwnew")["reason"] == "before_check_time"
    assert len(wecom.events("auto_activate")) == 1


def test_L56_daily_run_marks_codes_of_members_who_left_awaiting_transfer(
    wecom: Codes, runtime: Any,
) -> None:
    code = wecom.buy(base=1)[1][0]
    wecom("set_auto_active_status", {"corpid": CORP, "auto_active_status": 1})
    assert wecom.activate(code, "u1") == 0
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u1", "in_service": False}])
    assert wecom.info(code)["status"] == 2  # only at the next early-morning run
    ran = wecom.advance(DAY)
    assert any(r["kind"] == "licence_codes.daily" for r in ran)
    assert wecom.info(code)["status"] == 4
    answer = wecom("batch_transfer_license", {"corpid": CORP, "transfer_list": [
        {"handover_userid": "u1", "takeover_userid": "u2"}]})
    assert answer["errcode"] == 0
    assert wecom.info(code)["status"] == 2


def test_run_daily_sandbox_action_sweeps_at_once(wecom: Codes, runtime: Any) -> None:
    code = wecom.buy(base=1)[1][0]
    wecom("set_auto_active_status", {"corpid": CORP, "auto_active_status": 1})
    assert wecom.activate(code, "u1") == 0
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u1", "visible": False}])
    swept = wecom.client.post("/v1/sandbox/wecom-codes/run_daily", headers=ADMIN,
                              json={"provider": "wwprov"}).json()
    assert swept["codes_changed"] == 1
    assert wecom.info(code)["status"] == 4


# --- trials, interception, reminders (L57-L63) ---------------------------------------------------


@pytest.mark.parametrize(
    ("asked_at", "expected"),
    [pytest.param(1716220800, {"license_status": 1,
                               "trail_info": {"start_time": 1711935000, "end_time": 1719711000},
                               "license_check_time": 1719711000}, id="licences-W9")],
)
def test_W9_trial_survives_a_reinstall_and_its_reminder_fires(
    wecom: Codes, runtime: Any, asked_at: int, expected: dict[str, Any],
) -> None:
    sandbox = "/v1/sandbox/wecom/"
    setup.save_corp(runtime, "wwprov", "wwcorpA2", members=[{"userid": "a1"}])
    for action, when in (("install", 1711935000), ("uninstall", 1714492800),
                         ("install", 1716134400)):
        answer = wecom.client.post(sandbox + action, headers=ADMIN, json={
            "provider": "wwprov", "corpid": "wwcorpA2", "suite_id": "suite1", "time": when})
        assert answer.status_code == 200, answer.json()
    wecom.client.post("/v1/sandbox/clock", headers=ADMIN, json={
        "provider": "wwprov", "now": datetime.fromtimestamp(asked_at, tz=UTC).isoformat()})
    info = wecom("get_app_license_info", {"corpid": "wwcorpA2", "suite_id": "suite1"})
    assert {k: v for k, v in info.items() if k not in ("errcode", "errmsg")} == expected
    wecom.advance(1719106200 - asked_at)
    ending = [e for e in wecom.events("trial_ending") if e["payload"]["corpid"] == "wwcorpA2"]
    assert [e["occurred_at"] for e in ending] == [
        datetime.fromtimestamp(1719106200, tz=UTC).isoformat()]
    assert wecom("get_app_license_info", {"corpid": "wwcorpA2", "suite_id": "nope"})[
        "errcode"] == 701924


def test_L59_check_reasons(wecom: Codes, runtime: Any) -> None:
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": "u9", "visible": False}])
    basic, other = wecom.buy(base=2)[1]
    interop = wecom.buy(interop=1)[2][0]
    assert wecom.activate(basic, "u1") == 0
    assert wecom.activate(interop, "u2") == 0
    assert wecom.activate(other, "u3") == 0
    licensed = wecom.check("u1")
    assert (licensed["allowed"], licensed["detail"], licensed["until_unix"]) == (
        True, "licensed_until", NOW + 31 * DAY)
    assert wecom.check("u1", "interop")["detail"] == "never_activated"
    assert wecom.check("u2", "message")["allowed"] is True  # interop implies basic (L2)
    assert wecom.check("u4")["detail"] == "never_activated"
    assert wecom.check("u9")["detail"] == "not_visible"
    wecom.advance(31 * DAY)
    expired = wecom.check("u3")
    assert (expired["allowed"], expired["detail"], expired["until_unix"]) == (
        False, "expired_on", NOW + 31 * DAY)
    unknown = wecom.client.post("/v1/wecom/licences/check", headers=ADMIN, json={
        "provider": "wwprov", "corpid": CORP, "suite_id": "suite1", "userid": "ghost"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["errcode"] == 701019
    nocorp = wecom.client.post("/v1/wecom/licences/check", headers=ADMIN, json={
        "provider": "wwprov", "corpid": "wwnobody", "suite_id": "suite1", "userid": "u1"})
    assert nocorp.status_code == 404
    setup.install_app(runtime, "wwprov", CORP, "suite1", license_status=0)
    assert wecom.check("u4")["reason"] == "no_check"


def test_L60_unlicensed_notify_once_per_member_per_day(wecom: Codes, sender: Any) -> None:
    assert wecom.check("u4")["allowed"] is False
    assert wecom.check("u4")["allowed"] is False
    opened = wecom.client.post("/v1/sandbox/wecom-codes/open_app", headers=ADMIN, json={
        "provider": "wwprov", "corpid": CORP, "userid": "u4"}).json()
    assert opened["reason"] == "unlicensed"
    notes = wecom.events("unlicensed_notify")
    assert len(notes) == 1
    assert notes[0]["payload"]["fields"]["FromUserName"] == "u4"
    assert "<Event><![CDATA[unlicensed_notify]]></Event>" in notes[0]["body"]
    wecom.advance(DAY)
    wecom.check("u4")
    assert len(wecom.events("unlicensed_notify")) == 2


def test_L62_expiry_reminder_and_expiry_fire_once_at_their_instants(wecom: Codes) -> None:
    code = wecom.buy(base=1)[1][0]
    assert wecom.activate(code, "u1") == 0
    wecom.advance(20 * DAY)
    assert wecom.events("licence_expiring") == []
    wecom.advance(15 * DAY)
    reminders = wecom.events("licence_expiring")
    assert [e["occurred_at"] for e in reminders] == [
        datetime.fromtimestamp(NOW + 24 * DAY, tz=UTC).isoformat()]
    assert reminders[0]["payload"]["active_code"] == code
    expired = wecom.events("licence_expired")
    assert [e["occurred_at"] for e in expired] == [
        datetime.fromtimestamp(NOW + 31 * DAY, tz=UTC).isoformat()]
    wecom.client.post("/v1/sandbox/wecom-codes/run_daily", headers=ADMIN,
                      json={"provider": "wwprov"})
    wecom.advance(DAY)
    assert len(wecom.events("licence_expiring")) == 1
