"""WeCom licences: auto-activation, trial, interception, reminders, daily run (§2.8-§2.9)."""

# ruff: noqa: N802 - test names carry the spec's rule IDs (STYLE 2.19)

from __future__ import annotations

from datetime import time

import pytest
from tests.unit.licence_code_factories import CORP, DAYS, NOW, bound, members, unbound

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.licence_codes import (
    BASIC,
    INTEROP,
    AccessDetail,
    AccessReason,
    ActivationCode,
    ApiClass,
    CodeAutoActivated,
    CodeStatus,
    Install,
    LicenceInfo,
    Member,
    PreviousStatus,
    Scene,
    auto_activate,
    check_access,
    check_and_auto_activate,
    daily_runs,
    due_expiry_reminders,
    licence_info,
    sweep_awaiting_transfer,
    trial_ending_reminder,
    trial_window,
)
from tollhouse.domain.periods import SHANGHAI, Period, from_unix, to_unix

CHECKING = LicenceInfo(license_status=1, trail_info=None, license_check_time=NOW - 100 * DAYS)
U1 = Member("u1")


def check(held: list[ActivationCode], api_class: ApiClass = ApiClass.BASIC, **kw):
    info = kw.pop("info", CHECKING)
    member = kw.pop("member", U1)
    return check_access(info, member, held, userid="u1", api_class=api_class, at=kw.pop("at", NOW))


def auto(held, pool, scene: Scene = Scene.OPEN_APP, **kw):
    return auto_activate(
        kw.pop("member", U1), held, pool, scene=scene, corpid=CORP, info=kw.pop("info", CHECKING),
        auto_active_on=kw.pop("on", True), at=kw.pop("at", NOW),
    )  # fmt: skip


# W9: trial and licence info.


@pytest.mark.parametrize(
    ("first_install", "expected_end", "expected_reminder"),
    [pytest.param(1711935000, 1719711000, 1719106200, id="licences-W9")],
)
def test_W9_L57_L58_L62_trial_runs_90_days_from_the_first_install(
    first_install: int, expected_end: int, expected_reminder: int
) -> None:
    # given: first install 2024-04-01 09:30; the reinstall of 2024-05-20 keeps first_install_time
    install = Install("wwcorpA2", "suite", first_install_time=from_unix(first_install))
    # when: get_app_license_info at 2024-05-21 00:00
    info = licence_info(install)
    # then
    assert info.license_status == 1
    assert info.trail_info is not None
    assert (to_unix(info.trail_info.start), to_unix(info.trail_info.end)) == (
        1711935000,
        expected_end,
    )
    assert to_unix(info.license_check_time) == 1719711000
    reminder = trial_ending_reminder(install)
    assert reminder is not None
    assert to_unix(reminder.at) == expected_reminder
    in_trial = check([], info=info, at=from_unix(1716220800))
    assert (in_trial.allowed, in_trial.reason, in_trial.detail) == (
        True,
        AccessReason.BEFORE_CHECK_TIME,
        AccessDetail.IN_TRIAL,
    )


def test_L57_test_corps_and_migrated_apps_have_no_trial() -> None:
    start = NOW - 10 * DAYS
    assert trial_window(Install(CORP, "s", start, is_test_corp=True)) is None
    assert trial_window(Install(CORP, "s", start, migrated=True)) is None
    test_info = licence_info(Install(CORP, "s", start, is_test_corp=True))
    assert (test_info.trail_info, test_info.license_check_time) == (None, start)
    assert trial_ending_reminder(Install(CORP, "s", start, is_test_corp=True)) is None


def test_L58_D9_status_0_hides_trail_info_and_overrides_are_honoured() -> None:
    start = NOW - 10 * DAYS
    off = licence_info(Install(CORP, "s", start, license_status=0))
    assert (off.license_status, off.trail_info) == (0, None)
    override = licence_info(Install(CORP, "s", start, license_check_time=NOW))
    assert override.license_check_time == NOW
    assert trial_window(Install(CORP, "s", start, trial_end=start + 92 * DAYS)) == Period(
        start, start + 92 * DAYS
    )


# L59 / L2 / L60: interception.


def test_L59_license_status_0_never_intercepts() -> None:
    info = LicenceInfo(0, None, NOW - DAYS)
    decision = check([], info=info)
    assert (decision.allowed, decision.reason) == (True, AccessReason.NO_CHECK)


def test_L59_before_the_check_time_every_member_passes() -> None:
    info = LicenceInfo(1, None, NOW + DAYS)
    decision = check([], info=info)
    assert (decision.allowed, decision.reason, decision.detail) == (
        True,
        AccessReason.BEFORE_CHECK_TIME,
        None,
    )


def test_L59_D31_an_expired_licence_is_blocked_from_its_expire_time() -> None:
    code = bound("A", "u1", expire=NOW)
    decision = check([code])
    assert (decision.allowed, decision.reason, decision.detail) == (
        False,
        AccessReason.UNLICENSED,
        AccessDetail.EXPIRED_ON,
    )
    assert decision.until == NOW
    still = check([code], at=NOW - DAYS / 86400)
    assert (still.allowed, still.detail, still.until) == (True, AccessDetail.LICENSED_UNTIL, NOW)


def test_L59_L2_interop_apis_need_interop_and_basic_apis_accept_either() -> None:
    basic = bound("B", "u1", expire=NOW + DAYS)
    interop = bound("I", "u1", type_=INTEROP, expire=NOW + DAYS)
    assert not check([basic], ApiClass.INTEROP).allowed
    assert check([interop], ApiClass.INTEROP).allowed
    assert check([interop], ApiClass.BASIC).allowed
    assert check([interop], ApiClass.MESSAGE).allowed


def test_L59_a_merged_code_never_licenses() -> None:
    merged = bound("A", "u1", expire=NOW + DAYS)
    merged.merged_into = "B"
    assert check([merged]).detail is AccessDetail.NEVER_ACTIVATED


def test_L59_L60_unlicensed_members_outside_the_visible_range_get_no_notification() -> None:
    hidden = check([], member=Member("u1", visible=False))
    assert (hidden.allowed, hidden.detail, hidden.notify_unlicensed) == (
        False,
        AccessDetail.NOT_VISIBLE,
        False,
    )
    never = check([])
    assert (never.detail, never.notify_unlicensed) == (AccessDetail.NEVER_ACTIVATED, True)
    licensed_hidden = check(
        [bound("A", "u1", expire=NOW + DAYS)], member=Member("u1", visible=False)
    )
    assert licensed_hidden.allowed  # members with a valid licence are never intercepted


def test_L59_an_unknown_member_is_701019() -> None:
    with pytest.raises(PlatformRuleViolation) as raised:
        check([], member=None)
    assert raised.value.errcode == 701019


def test_L63_members_with_valid_licences_keep_access_when_codes_run_out() -> None:
    code = bound("A", "u1", expire=NOW + 30 * DAYS)
    decision, activated = check_and_auto_activate(
        CHECKING, U1, [code], userid="u1", api_class=ApiClass.BASIC, corpid=CORP,
        auto_active_on=True, pool=list, at=NOW,
    )  # fmt: skip
    assert decision.reason is AccessReason.LICENSED
    assert activated is None


# L53-L55 / D22: auto-activation.


def test_L53_D22_scene_3_activates_interop_only() -> None:
    pool = [unbound("B"), unbound("I", type_=INTEROP)]
    result = auto([], pool, Scene.INTEROP_API)
    assert result is not None
    assert result.code.active_code == "I"
    assert auto([], [unbound("B")], Scene.INTEROP_API) is None


def test_L53_D22_scenes_1_and_2_fall_back_to_interop_when_no_basic_code_is_free() -> None:
    assert auto([], [unbound("B"), unbound("I", type_=INTEROP)], Scene.OPEN_APP).code.type == BASIC
    fallback = auto([], [unbound("I", type_=INTEROP)], Scene.APP_MESSAGE)
    assert fallback is not None
    assert fallback.code.type == INTEROP


def test_L53_L2_a_valid_interop_licence_with_more_than_7_days_counts_as_basic() -> None:
    interop = bound("I", "u1", type_=INTEROP, expire=NOW + 8 * DAYS)
    assert auto([interop], [unbound("B")], Scene.OPEN_APP) is None


def test_L53_a_licence_with_exactly_7_days_left_is_renewed_and_merged() -> None:
    old = bound("A", "u1", expire=NOW + 7 * DAYS)
    new = unbound("B", days=31)
    result = auto([old], [new])
    assert result is not None
    assert new.expire_time == NOW + 38 * DAYS
    assert old.status(at=NOW, seen_by=CORP) is CodeStatus.MERGED
    assert auto([bound("C", "u1", expire=NOW + 7 * DAYS + DAYS / 86400)], [unbound("D")]) is None


def test_L53_L39_an_interop_code_is_left_alone_when_a_basic_code_is_auto_activated() -> None:
    interop = bound("I", "u1", type_=INTEROP, expire=NOW + 3 * DAYS)
    result = auto([interop], [unbound("B")])
    assert result is not None
    assert interop.merged_into is None
    assert result.code.merged_from is None


@pytest.mark.parametrize(
    ("held", "previous_status", "previous_code"),
    [
        pytest.param([], PreviousStatus.NONE, None, id="none"),
        pytest.param(
            [bound("A", "u1", expire=NOW + DAYS)], PreviousStatus.EXPIRING, "A", id="expiring"
        ),
        pytest.param(
            [bound("A", "u1", expire=NOW - DAYS)], PreviousStatus.EXPIRED, "A", id="expired"
        ),
    ],
)
def test_L54_the_callback_reports_the_previous_status(held, previous_status, previous_code) -> None:
    result = auto(held, [unbound("B")], Scene.APP_MESSAGE)
    assert result is not None
    event = result.events[0]
    assert isinstance(event, CodeAutoActivated)
    assert (event.previous_status, event.previous_active_code) == (previous_status, previous_code)
    assert (event.scene, event.userid, event.expire_time) == (2, "u1", result.code.expire_time)


def test_L55_D22_auto_activation_starts_7_days_before_the_check_time() -> None:
    info = LicenceInfo(1, None, NOW + 7 * DAYS)
    assert auto([], [unbound("B")], info=info) is not None
    late_info = LicenceInfo(1, None, NOW + 7 * DAYS + DAYS / 86400)
    assert auto([], [unbound("C")], info=late_info) is None


def test_L53_switch_off_or_member_out_of_range_activates_nothing() -> None:
    assert auto([], [unbound("B")], on=False) is None
    assert auto([], [unbound("B")], member=Member("u1", visible=False)) is None


def test_L53_check_reports_auto_activated_and_loads_the_pool_only_when_needed() -> None:
    loads: list[int] = []

    def pool() -> list[ActivationCode]:
        loads.append(1)
        return [unbound("B")]

    decision, activated = check_and_auto_activate(
        CHECKING, U1, [], userid="u1", api_class=ApiClass.BASIC, corpid=CORP,
        auto_active_on=True, pool=pool, at=NOW,
    )  # fmt: skip
    assert (decision.allowed, decision.reason, len(loads)) == (True, AccessReason.AUTO_ACTIVATED, 1)
    assert activated is not None
    assert decision.active_code == "B"


# L62: reminders.


def test_L62_licence_expiring_fires_once_per_expiry_instant() -> None:
    code = bound("A", "u1", expire=NOW + 10 * DAYS)
    assert due_expiry_reminders([code], until=NOW + 3 * DAYS - DAYS / 86400) == []
    first = due_expiry_reminders([code], until=NOW + 5 * DAYS)
    assert [e.at for e in first] == [NOW + 3 * DAYS]
    assert due_expiry_reminders([code], until=NOW + 9 * DAYS) == []
    code.expire_time = NOW + 40 * DAYS  # a renewal moved it
    assert due_expiry_reminders([code], until=NOW + 30 * DAYS) == []
    assert [e.at for e in due_expiry_reminders([code], until=NOW + 33 * DAYS)] == [NOW + 33 * DAYS]


def test_L62_unbound_and_merged_codes_get_no_expiry_reminder() -> None:
    merged = bound("M", "u1", expire=NOW + DAYS)
    merged.merged_into = "X"
    assert due_expiry_reminders([unbound("F"), merged], until=NOW + 30 * DAYS) == []


def test_L53_L38_auto_activation_skips_a_code_that_would_stack_beyond_the_cap() -> None:
    old = bound("A", "u1", expire=NOW + 5 * DAYS)
    assert auto([old], [unbound("B", days=1860)]) is None
    assert old.merged_into is None


def test_L59_the_check_endpoint_refuses_an_unknown_member_with_701019() -> None:
    with pytest.raises(PlatformRuleViolation) as raised:
        check_and_auto_activate(
            CHECKING, None, [], userid="ghost", api_class=ApiClass.BASIC, corpid=CORP,
            auto_active_on=True, pool=list, at=NOW,
        )  # fmt: skip
    assert raised.value.errcode == 701019


# D33 / L56: daily run.


def test_D33_the_daily_run_is_at_0200_shanghai() -> None:
    runs = daily_runs(NOW, NOW + 2 * DAYS)
    assert [r.astimezone(SHANGHAI).time() for r in runs] == [time(2, 0), time(2, 0)]
    assert to_unix(runs[0]) == 1715018400  # 2024-05-07 02:00 +08:00


def test_L56_D33_the_sweep_sets_status_4_for_members_who_left_and_clears_it_on_return() -> None:
    left = bound("L", "gone", expire=NOW + 10 * DAYS)
    hidden = bound("H", "hid", expire=NOW + 10 * DAYS)
    staying = bound("S", "u1", expire=NOW + 10 * DAYS)
    expired = bound("E", "gone2", expire=NOW - DAYS)
    codes = [left, hidden, staying, expired]
    users = members("u1", left=("gone", "gone2"), hidden=("hid",))
    sweep_awaiting_transfer(codes, users, corpid=CORP, auto_active_on=False, at=NOW)
    assert not any(c.awaiting_transfer for c in codes)
    events = sweep_awaiting_transfer(codes, users, corpid=CORP, auto_active_on=True, at=NOW)
    assert [e.active_code for e in events] == ["L", "H"]
    assert left.status(at=NOW, seen_by=CORP) is CodeStatus.AWAITING_TRANSFER
    assert expired.status(at=NOW, seen_by=CORP) is CodeStatus.EXPIRED
    back = {**users, "hid": Member("hid")}
    sweep_awaiting_transfer(codes, back, corpid=CORP, auto_active_on=True, at=NOW + DAYS)
    assert hidden.status(at=NOW + DAYS, seen_by=CORP) is CodeStatus.VALID
