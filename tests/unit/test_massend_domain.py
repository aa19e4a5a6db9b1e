"""WeChat mass send: the pure rules of spec/wechat-mass-send.md (M1–M25, D1–D21, X1–X18)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.massend import (
    API,
    MP_WEB,
    TRANSITIONS,
    AccountType,
    AccountUsage,
    AppId,
    Candidate,
    CapCounter,
    Channel,
    ChannelKind,
    DuplicateClientMsgId,
    FollowerStatus,
    InvalidJobTransition,
    JobCounts,
    JobState,
    MassJob,
    MassMessage,
    OpenId,
    RegisteredClientMsgId,
    ToAll,
    ToOpenIds,
    ToTag,
    check_account_allowed,
    check_account_caps,
    check_clear_quota,
    check_clientmsgid,
    check_daily_api_quota,
    check_minute_limit,
    check_preview_wxname,
    check_speed,
    check_tag_exists,
    chunks,
    confirm,
    counter_expires_at,
    counters_to_reserve,
    day_label,
    dedupe_key,
    default_clientmsgid,
    default_settings,
    delete_job,
    dispatch_outcome,
    expire_confirmation,
    follower_quota,
    minute_label,
    month_period,
    next_state_after_acceptance,
    paced_minutes,
    quota_get,
    review,
    screen,
    split_by_cap,
    validate_preview,
    validate_send,
    validate_sendall,
)
from tollhouse.domain.periods import SHANGHAI, month_label

SVC = default_settings(AccountType.SERVICE)
SUB = default_settings(AccountType.SUBSCRIPTION)
CAP = 4


def instant(text: str) -> datetime:
    """An instant written with its offset, as the spec writes it."""
    return datetime.fromisoformat(text).astimezone(UTC)


def oid(n: int) -> OpenId:
    return OpenId(f"oU{n:026d}")  # 28 characters, like sandbox OpenIDs


def following(*ids: OpenId, receive_off: bool = False) -> list[Candidate]:
    return [Candidate(o, FollowerStatus.FOLLOWING, receive_off=receive_off) for o in ids]


def charge(
    used: Counter[tuple[OpenId, str]], candidates: list[Candidate], *, at: datetime
) -> JobCounts:
    """Dispatch through the pure rules: screen, split by cap in the dispatch month, charge."""
    month = month_label(at, SHANGHAI)
    screening = screen(candidates, settings=SVC)
    month_used = {c.openid: used[c.openid, month] for c in screening.eligible}
    attempted, at_cap = split_by_cap(list(month_used), month_used, cap=CAP)
    used.update((o, month) for o in attempted)
    return dispatch_outcome(screening, at_cap).counts


def sendall(body_filter: dict[str, object], text: str = "hello", **extra: object) -> dict:
    return {"filter": body_filter, "msgtype": "text", "text": {"content": text}, **extra}


def an_api_job(msg_id: int = 1000000101, *, msgtype: str = "mpnews", **kw: object) -> MassJob:
    payload = {"content": "x"} if msgtype == "text" else {"media_id": "m"}
    return MassJob(
        msg_id=msg_id,
        appid=AppId("wx0000000000000001"),
        channel=kw.pop("channel", API),  # type: ignore[arg-type]
        target=kw.pop("target", ToAll()),  # type: ignore[arg-type]
        message=MassMessage(msgtype, payload),
        submitted_at=kw.pop("submitted_at", instant("2026-07-15T09:00:00+08:00")),  # type: ignore[arg-type]
    )


# -- worked examples: dispatch and the follower month cap ---------------------------------------


@pytest.mark.parametrize(
    ("setup", "send_at", "recipients", "expected_counts", "expected_used"),
    [
        pytest.param(
            {},
            "2026-07-03T10:00:00+08:00",
            [1, 2, 3],
            JobCounts(3, 3, 3, 0),
            {1: 1, 2: 1, 3: 1},
            id="massend-X1",
        ),
        pytest.param(
            {1: 4, 2: 1},
            "2026-07-25T20:00:00+08:00",
            [1, 2],
            JobCounts(2, 1, 1, 0),
            {1: 4, 2: 2},
            id="massend-X2",
        ),
        pytest.param(
            {1: 4},
            "2026-07-31T10:00:00+08:00",
            [1],
            JobCounts(1, 0, 0, 0),
            {1: 4},
            id="massend-X3",
        ),
        pytest.param(
            {1: 4},
            "2026-07-28T09:00:00+08:00",
            [1, 9],
            JobCounts(2, 1, 1, 0),
            {1: 4, 9: 1},
            id="massend-X4",
        ),
    ],
)
def test_M2_M3_D2_followers_at_the_cap_are_filtered_and_the_others_charged_once(
    setup: dict[int, int],
    send_at: str,
    recipients: list[int],
    expected_counts: JobCounts,
    expected_used: dict[int, int],
) -> None:
    # given: July receipts as the example states them
    used: Counter[tuple[OpenId, str]] = Counter({(oid(n), "2026-07"): k for n, k in setup.items()})
    # when
    counts = charge(used, following(*map(oid, recipients)), at=instant(send_at))
    # then
    assert counts == expected_counts
    assert {n: used[oid(n), "2026-07"] for n in recipients} == expected_used


def test_X3_M8_D1_the_month_is_the_natural_month_not_thirty_days() -> None:
    first_receipt = instant("2026-07-01T10:00:00+08:00")
    fifth = instant("2026-07-31T10:00:00+08:00")
    assert fifth - first_receipt == timedelta(days=30)  # a 30-day window would end right here
    assert month_label(fifth, SHANGHAI) == "2026-07"
    assert fifth in month_period("2026-07", SHANGHAI)


@pytest.mark.parametrize(
    ("variant_faults", "expected"),
    [
        pytest.param(0, JobCounts(10000, 9963, 9963, 0), id="massend-X15"),
        pytest.param(2, JobCounts(10000, 9963, 9961, 2), id="massend-X15-delivery-fault"),
    ],
)
def test_X15_M20_D4_ten_thousand_list_with_37_at_the_cap(
    variant_faults: int, expected: JobCounts
) -> None:
    # given: 37 of 10,000 at the cap, the others at most 3
    listed = [oid(n) for n in range(10_000)]
    month_used = {o: (4 if n < 37 else n % 4) for n, o in enumerate(listed)}
    candidates = [
        Candidate(o, FollowerStatus.FOLLOWING, delivery_fault=37 <= n < 37 + variant_faults)
        for n, o in enumerate(listed)
    ]
    # when
    screening = screen(candidates, settings=SVC)
    attempted, at_cap = split_by_cap([c.openid for c in screening.eligible], month_used, cap=CAP)
    outcome = dispatch_outcome(screening, at_cap)
    # then: still 9,963 charged, FilterCount = Sent + Error
    assert outcome.counts == expected
    assert len(attempted) == 9963
    assert outcome.breakdown() == {"former_follower": 0, "receive_off": 0, "at_cap": 37}


def test_X11_D3_D15_receive_off_and_former_followers_are_filtered_and_not_charged() -> None:
    candidates = [
        Candidate(oid(1), FollowerStatus.FOLLOWING),
        Candidate(oid(2), FollowerStatus.FOLLOWING, receive_off=True),
        Candidate(oid(3), FollowerStatus.FORMER),
    ]
    used: Counter[tuple[OpenId, str]] = Counter()
    screening = screen(candidates, settings=SVC)
    counts = charge(used, candidates, at=instant("2026-07-12T12:00:00+08:00"))
    assert counts == JobCounts(3, 1, 1, 0)
    assert dict(used) == {(oid(1), "2026-07"): 1}
    outcome = dispatch_outcome(screening, [])
    assert outcome.breakdown() == {"former_follower": 1, "receive_off": 1, "at_cap": 0}


def test_X11_D15_former_follower_in_list_reject_mode_rejects_the_call_with_40003() -> None:
    strict = SVC.__class__(AccountType.SERVICE, former_follower_in_list="reject")
    with pytest.raises(PlatformRuleViolation) as raised:
        screen([Candidate(oid(3), FollowerStatus.FORMER)], settings=strict)
    assert raised.value.errcode == 40003


def test_D15_an_openid_that_never_followed_rejects_the_send_with_40003() -> None:
    with pytest.raises(PlatformRuleViolation) as raised:
        screen([*following(oid(1)), Candidate(oid(5), FollowerStatus.NEVER)], settings=SVC)
    assert raised.value.errcode == 40003


def test_X14_D16_D17_mid_month_subscriber_and_resubscribing_keep_the_same_counter() -> None:
    used: Counter[tuple[OpenId, str]] = Counter()
    u5 = oid(5)
    assert used[u5, "2026-09"] == 0  # subscribed 2026-09-16T14:00+08:00: no pro-rating
    charge(used, following(u5), at=instant("2026-09-18T10:00:00+08:00"))
    assert used[u5, "2026-09"] == 1  # unsubscribed 09-20 and resubscribed 09-22: still 1
    for day in ("23", "25", "28"):
        charge(used, following(u5), at=instant(f"2026-09-{day}T10:00:00+08:00"))
    assert used[u5, "2026-09"] == 4
    counts = charge(used, following(u5), at=instant("2026-09-29T10:00:00+08:00"))
    assert counts == JobCounts(1, 0, 0, 0)  # at_cap
    charge(used, following(u5), at=instant("2026-10-02T10:00:00+08:00"))
    assert used[u5, "2026-10"] == 1


def test_X16_S1_overlapping_lists_in_either_order_never_pass_the_cap() -> None:
    shared = [oid(n) for n in range(2000)]
    a = shared + [oid(n) for n in range(10_000, 14_000)]
    b = shared + [oid(n) for n in range(20_000, 24_000)]
    for first, second in ((a, b), (b, a)):
        used: Counter[tuple[OpenId, str]] = Counter({(o, "2026-09"): 3 for o in shared})
        at = instant("2026-09-10T21:00:00+08:00")
        assert charge(used, following(*first), at=at) == JobCounts(6000, 6000, 6000, 0)
        assert charge(used, following(*second), at=at) == JobCounts(6000, 4000, 4000, 0)
        assert Counter(used.values()) == {4: 2000, 1: 8000}


# -- worked examples: account caps --------------------------------------------------------------


def test_X1_M6_D5_a_tag_send_takes_no_account_count() -> None:
    assert counters_to_reserve(API, ToTag(101), settings=SVC) == ()


def test_X4_M4_D10_history_month_used_up_rejects_sends_to_all_and_web_sends_with_45028() -> None:
    usage = AccountUsage(hist_m=4)
    at = instant("2026-07-28T09:00:00+08:00")
    assert check_account_caps(API, ToTag(107), usage, at=at, settings=SVC) == ()
    for channel, target in ((API, ToAll()), (MP_WEB, ToAll()), (MP_WEB, ToTag(107))):
        with pytest.raises(PlatformRuleViolation) as raised:
            check_account_caps(channel, target, usage, at=at, settings=SVC)
        assert raised.value.errcode == 45028
        assert raised.value.code == "wechat.send_cap_reached"


@pytest.mark.parametrize(
    ("at", "usage", "errcode"),
    [
        pytest.param("2026-07-10T09:00:00+08:00", AccountUsage(), 0, id="massend-X5-first"),
        pytest.param(
            "2026-07-10T21:00:00+08:00", AccountUsage(hist_m=1, hist_d=1), 45028, id="massend-X5"
        ),
        pytest.param(
            "2026-07-11T00:00:05+08:00", AccountUsage(hist_m=1), 0, id="massend-X5-next-day"
        ),
    ],
)
def test_X5_M5_D18_one_history_send_per_local_day(
    at: str, usage: AccountUsage, errcode: int
) -> None:
    if errcode:
        with pytest.raises(PlatformRuleViolation) as raised:
            check_account_caps(API, ToAll(), usage, at=instant(at), settings=SVC)
        assert raised.value.errcode == errcode
        assert raised.value.rule == "M5"
    else:
        reserved = check_account_caps(API, ToAll(), usage, at=instant(at), settings=SVC)
        assert reserved == (CapCounter.HIST_M, CapCounter.HIST_D)


def test_X5_M9_the_local_day_starts_at_midnight_shanghai_not_utc() -> None:
    at = instant("2026-07-11T00:00:05+08:00")
    assert at == datetime(2026, 7, 10, 16, 0, 5, tzinfo=UTC)
    assert day_label(at, SHANGHAI) == "2026-07-11"
    assert day_label(at, ZoneInfo("UTC")) == "2026-07-10"  # what a UTC-day limiter would use


@pytest.mark.parametrize(
    ("at", "target", "sub_d", "errcode"),
    [
        pytest.param("2026-07-10T08:00:00+08:00", ToTag(103), 0, 0, id="massend-X6-first"),
        pytest.param("2026-07-10T23:30:00+08:00", ToAll(), 1, 45028, id="massend-X6"),
        pytest.param("2026-07-11T00:00:05+08:00", ToAll(), 0, 0, id="massend-X6-next-day"),
        pytest.param("2026-07-12T09:00:00+08:00", ToAll(), 0, 0, id="massend-X6-12th"),
        pytest.param("2026-07-12T18:00:00+08:00", ToTag(103), 1, 45028, id="massend-X6-no-carry"),
    ],
)
def test_X6_M7_M8_subscription_account_one_send_per_day_without_carry_over(
    at: str, target: ToAll | ToTag, sub_d: int, errcode: int
) -> None:
    usage = AccountUsage(sub_d=sub_d)
    if errcode:
        with pytest.raises(PlatformRuleViolation) as raised:
            check_account_caps(API, target, usage, at=instant(at), settings=SUB)
        assert raised.value.errcode == errcode
    else:
        assert check_account_caps(API, target, usage, at=instant(at), settings=SUB) == (
            CapCounter.SUB_D,
        )


def test_D19_subscription_accounts_cannot_send_by_openid_list() -> None:
    request = validate_send(
        {"touser": [oid(1), oid(2)], "msgtype": "text", "text": {"content": "a"}}, settings=SUB
    )
    with pytest.raises(PlatformRuleViolation) as raised:
        check_account_allowed(request, SUB)
    assert raised.value.errcode == 48001
    check_account_allowed(request, SVC)


def test_D18_the_daily_history_cap_can_be_switched_off() -> None:
    off = SVC.__class__(AccountType.SERVICE, history_daily_cap=None)
    at = instant("2026-07-10T21:00:00+08:00")
    usage = AccountUsage(hist_m=1, hist_d=1)
    assert check_account_caps(API, ToAll(), usage, at=at, settings=off) == (CapCounter.HIST_M,)


def test_X17_M4_D5_history_month_counts_web_and_to_all_sends_but_not_tag_sends() -> None:
    sends = [(MP_WEB, ToAll()), (API, ToAll()), (API, ToTag(130))]
    taken = Counter(
        c for ch, target in sends for c in counters_to_reserve(ch, target, settings=SVC)
    )
    assert taken[CapCounter.HIST_M] == 2


def test_X17_follower_quota_view_shows_the_local_month() -> None:
    view = follower_quota("2026-09", 3, cap=4, zone=SHANGHAI)
    assert (view.month, view.cap, view.received, view.remaining) == ("2026-09", 4, 3, 1)
    assert view.period_start.isoformat() == "2026-09-01T00:00:00+08:00"
    assert view.resets_at.isoformat() == "2026-10-01T00:00:00+08:00"


def test_X17_M11_D14_quota_get_reports_the_daily_sendall_quota() -> None:
    body = quota_get("/cgi-bin/message/mass/sendall", 1, settings=SVC)
    assert body["quota"] == {"daily_limit": 100, "used": 1, "remain": 99}
    assert body["rate_limit"] == {"call_count": 60, "refresh_second": 60}
    assert "rate_limit" not in quota_get("/cgi-bin/user/get", 0, settings=SVC)
    with pytest.raises(PlatformRuleViolation) as raised:
        quota_get("/cgi-bin/nope", 0, settings=SVC)
    assert raised.value.errcode == 76021


# -- worked examples: clientmsgid ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "errcode"),
    [
        pytest.param("2026-07-10T10:00:30+08:00", 45066, id="massend-X7-30s"),
        pytest.param("2026-07-10T10:02:00+08:00", 45065, id="massend-X7"),
        pytest.param("2026-07-11T10:00:01+08:00", 0, id="massend-X7-expired"),
    ],
)
def test_X7_M15_explicit_clientmsgid_is_deduplicated_for_24_hours(at: str, errcode: int) -> None:
    earlier = RegisteredClientMsgId("c-001", 1000000101, instant("2026-07-10T10:00:00+08:00"))
    if not errcode:
        check_clientmsgid(earlier, at=instant(at), settings=SVC)
        return
    with pytest.raises(DuplicateClientMsgId) as raised:
        check_clientmsgid(earlier, at=instant(at), settings=SVC)
    assert raised.value.errcode == errcode
    assert raised.value.details["msg_id"] == 1000000101


def test_X8_M15_D11_default_clientmsgid_is_a_digest_of_scope_and_content() -> None:
    to_101 = validate_sendall(
        sendall({"is_to_all": False, "tag_id": 101}, "Summer sale"), settings=SVC
    )
    again = validate_sendall(
        sendall({"is_to_all": False, "tag_id": 101}, "Summer sale"), settings=SVC
    )
    to_102 = validate_sendall(
        sendall({"is_to_all": False, "tag_id": 102}, "Summer sale"), settings=SVC
    )
    assert dedupe_key(to_101, settings=SVC) == dedupe_key(again, settings=SVC)
    assert dedupe_key(to_101, settings=SVC) != dedupe_key(to_102, settings=SVC)
    canonical = '{"content":{"text":{"content":"Summer sale"}},"msgtype":"text","scope":"tag:101"}'
    assert dedupe_key(to_101, settings=SVC) == hashlib.sha256(canonical.encode()).hexdigest()


def test_M15_default_digest_of_an_openid_list_ignores_order_and_duplicates() -> None:
    message = MassMessage("text", {"content": "hi"})
    one = ToOpenIds((oid(2), oid(1)), 2)
    other = ToOpenIds((oid(1), oid(2)), 3)
    assert default_clientmsgid(message, one) == default_clientmsgid(message, other)
    joined = f"{oid(1)},{oid(2)}"
    assert one.scope == "openids:" + hashlib.sha256(joined.encode()).hexdigest()


def test_M15_clientmsgid_default_none_turns_off_deduplication_without_an_id() -> None:
    off = SVC.__class__(AccountType.SERVICE, clientmsgid_default="none")
    request = validate_sendall(sendall({"is_to_all": True}), settings=off)
    assert dedupe_key(request, settings=off) is None
    explicit = validate_sendall(sendall({"is_to_all": True}, clientmsgid="c-1"), settings=off)
    assert dedupe_key(explicit, settings=off) == "c-1"


def test_X18_M23_D9_a_failed_review_voids_the_job_but_keeps_its_clientmsgid() -> None:
    job = an_api_job(
        msgtype="text", target=ToTag(103), submitted_at=instant("2026-10-14T09:00:00+08:00")
    )
    job.reserved = (CapCounter.SUB_D,)
    job.transition_to(JobState.IN_REVIEW, at=instant("2026-10-14T09:00:00+08:00"))
    review(job, passed=False, code=20001, at=instant("2026-10-14T09:05:00+08:00"))
    assert (job.state, job.msg_status, job.event_status) == ("failed", "SEND_FAIL", "err(20001)")
    assert job.counts == JobCounts(0, 0, 0, 0)
    assert job.voided  # sub_d reservation is released
    registered = RegisteredClientMsgId("digest-v1", job.msg_id, job.submitted_at)
    with pytest.raises(DuplicateClientMsgId) as raised:
        check_clientmsgid(registered, at=instant("2026-10-14T11:00:00+08:00"), settings=SUB)
    assert raised.value.errcode == 45065


# -- worked examples: request validation and API limits -----------------------------------------


@pytest.mark.parametrize(
    ("count", "errcode"),
    [
        pytest.param(1, 40130, id="massend-X9-a"),
        pytest.param(10_000, 0, id="massend-X9-b"),
        pytest.param(10_001, 40032, id="massend-X9-c"),
    ],
)
def test_X9_M14_D10_openid_list_sizes(count: int, errcode: int) -> None:
    body = {"touser": [oid(n) for n in range(count)], "msgtype": "text", "text": {"content": "a"}}
    if not errcode:
        assert len(validate_send(body, settings=SVC).target.openids) == 10_000  # type: ignore[union-attr]
        return
    with pytest.raises(PlatformRuleViolation) as raised:
        validate_send(body, settings=SVC)
    assert raised.value.errcode == errcode


def test_X9_D14_rejected_calls_count_toward_the_daily_quota() -> None:
    body = quota_get("/cgi-bin/message/mass/send", 3, settings=SVC)
    assert body["quota"] == {"daily_limit": 100, "used": 3, "remain": 97}


def test_X9_S3_twenty_five_thousand_followers_take_three_list_calls() -> None:
    followers = following(*(oid(n) for n in range(25_000)))
    assert [len(c) for c in chunks(followers)] == [10_000, 10_000, 5_000]


def test_M14_D3_the_raw_length_is_checked_before_duplicates_collapse() -> None:
    body = {"touser": [oid(1), oid(1)], "msgtype": "text", "text": {"content": "a"}}
    target = validate_send(body, settings=SVC).target
    assert target == ToOpenIds((oid(1),), 2)


@pytest.mark.parametrize(
    ("calls", "at", "errcode"),
    [
        pytest.param(60, "2026-07-10T10:00:59+08:00", 0, id="massend-X10-60th"),
        pytest.param(61, "2026-07-10T10:00:59+08:00", 45011, id="massend-X10"),
        pytest.param(1, "2026-07-10T10:01:00+08:00", 0, id="massend-X10-next-minute"),
    ],
)
def test_X10_M10_D13_sixty_calls_per_calendar_minute(calls: int, at: str, errcode: int) -> None:
    if errcode:
        with pytest.raises(PlatformRuleViolation) as raised:
            check_minute_limit(calls, at=instant(at), settings=SVC)
        assert raised.value.errcode == errcode
    else:
        check_minute_limit(calls, at=instant(at), settings=SVC)


def test_X10_M10_minute_labels_are_local_calendar_minutes() -> None:
    assert minute_label(instant("2026-07-10T10:00:59+08:00"), SHANGHAI) == "2026-07-10T10:00"
    assert minute_label(instant("2026-07-10T10:01:00+08:00"), SHANGHAI) == "2026-07-10T10:01"


def test_M11_D14_the_daily_api_quota_rejects_once_the_limit_is_used() -> None:
    at = instant("2026-07-10T10:00:00+08:00")
    check_daily_api_quota("/cgi-bin/message/mass/sendall", 99, at=at, settings=SVC)
    with pytest.raises(PlatformRuleViolation) as raised:
        check_daily_api_quota("/cgi-bin/message/mass/sendall", 100, at=at, settings=SVC)
    assert raised.value.errcode == 45009
    with pytest.raises(PlatformRuleViolation):
        check_daily_api_quota("/cgi-bin/token", 2000, at=at, settings=SVC)


def test_M12_the_eleventh_clear_quota_in_a_month_gets_48006() -> None:
    at = instant("2026-07-10T10:00:00+08:00")
    check_clear_quota(9, at=at, settings=SVC)
    with pytest.raises(PlatformRuleViolation) as raised:
        check_clear_quota(10, at=at, settings=SVC)
    assert raised.value.errcode == 48006


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        pytest.param({"filter": {"is_to_all": True}, "msgtype": "link"}, 40008, id="msgtype"),
        pytest.param({"filter": {"is_to_all": True}, "msgtype": "text"}, 40008, id="no-payload"),
        pytest.param(sendall({"is_to_all": True}, ""), 44004, id="empty-content"),
        pytest.param(
            {"filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": {"media_id": ""}},
            40007,
            id="empty-media-id",
        ),
        pytest.param(sendall({"is_to_all": False}), 40152, id="no-tag-id"),
        pytest.param(sendall({"is_to_all": True}, clientmsgid="x" * 65), 45067, id="long-cmid"),
    ],
)
def test_D10_sendall_bodies_are_rejected_with_the_platform_errcode(
    body: dict[str, object], errcode: int
) -> None:
    with pytest.raises(PlatformRuleViolation) as raised:
        validate_sendall(body, settings=SVC)
    assert raised.value.errcode == errcode
    assert raised.value.namespace == "wechat"


def test_sendall_accepts_wechatpy_shapes_null_tag_and_group_id_alias() -> None:
    to_all = validate_sendall(sendall({"is_to_all": True, "tag_id": None}), settings=SVC)
    assert to_all.target == ToAll()
    by_group = validate_sendall(sendall({"is_to_all": False, "group_id": 101}), settings=SVC)
    assert by_group.target == ToTag(101)
    with pytest.raises(PlatformRuleViolation) as raised:
        check_tag_exists(ToTag(999), {100, 101})
    assert raised.value.errcode == 40152


def test_send_accepts_video_as_an_alias_of_mpvideo() -> None:
    body = {"touser": [oid(1), oid(2)], "msgtype": "video", "video": {"media_id": "v"}}
    assert validate_send(body, settings=SVC).message == MassMessage("mpvideo", {"media_id": "v"})


def test_X13_M18_D7_towxname_previews_are_limited_to_100_a_day() -> None:
    at = instant("2026-07-10T12:00:00+08:00")
    preview = validate_preview(
        {"touser": oid(1), "towxname": "alice", "msgtype": "text", "text": {"content": "p"}}
    )
    assert (preview.towxname, preview.touser) == ("alice", None)  # towxname wins
    check_preview_wxname(99, at=at, settings=SVC)  # preview 100 succeeds
    with pytest.raises(PlatformRuleViolation) as raised:
        check_preview_wxname(100, at=at, settings=SVC)  # preview 101
    assert raised.value.errcode == 45009


def test_X13_M19_D8_delete_marks_the_job_deleted_and_refunds_nothing() -> None:
    job = an_api_job(1000000050)
    job.transition_to(JobState.DISPATCHED, at=instant("2026-07-03T09:00:00+08:00"))
    job.transition_to(JobState.FINISHED, at=instant("2026-07-03T09:00:00+08:00"))
    delete_job(job, article_idx=0, at=instant("2026-07-10T12:00:00+08:00"))
    assert job.msg_status == "DELETE"


@pytest.mark.parametrize(
    ("channel", "msgtype", "finished"),
    [
        pytest.param(MP_WEB, "mpnews", True, id="website-send"),
        pytest.param(API, "text", True, id="text"),
        pytest.param(API, "mpnews", False, id="not-finished"),
    ],
)
def test_M19_only_finished_api_mpnews_and_mpvideo_jobs_can_be_deleted(
    channel: Channel, msgtype: str, finished: bool
) -> None:
    job = an_api_job(msgtype=msgtype, channel=channel)
    if finished:
        job.transition_to(JobState.DISPATCHED, at=job.submitted_at)
        job.transition_to(JobState.FINISHED, at=job.submitted_at)
    with pytest.raises(PlatformRuleViolation) as raised:
        delete_job(job, article_idx=0, at=job.submitted_at)
    assert raised.value.errcode == 40059


def test_M19_deleting_one_article_keeps_the_job_finished() -> None:
    job = an_api_job()
    job.transition_to(JobState.DISPATCHED, at=job.submitted_at)
    job.transition_to(JobState.FINISHED, at=job.submitted_at)
    delete_job(job, article_idx=2, at=job.submitted_at)
    assert (job.msg_status, job.deleted_articles) == ("SEND_SUCCESS", {2})


# -- worked examples: confirmation, lifecycle, speed --------------------------------------------


def test_X12_M16_D9_an_unconfirmed_send_to_all_fails_after_30_minutes() -> None:
    protected = SVC.__class__(AccountType.SERVICE, mass_protection=True)
    job = an_api_job(submitted_at=instant("2026-07-15T09:00:00+08:00"))
    job.reserved = check_account_caps(
        API, ToAll(), AccountUsage(), at=job.submitted_at, settings=protected
    )
    state = next_state_after_acceptance(ToAll(), settings=protected)
    job.transition_to(state, at=job.submitted_at)
    assert job.msg_status == "SENDING"
    with pytest.raises(PlatformRuleViolation) as raised:  # 09:10 speed/set
        check_speed(1, awaiting_confirmation=True)
    assert raised.value.errcode == 89504
    with pytest.raises(PlatformRuleViolation) as raised:  # 09:10 another sendall to all
        check_account_caps(
            API,
            ToAll(),
            AccountUsage(hist_m=1, hist_d=1),
            at=instant("2026-07-15T09:10:00+08:00"),
            settings=protected,
        )
    assert raised.value.errcode == 45028
    assert not expire_confirmation(job, at=instant("2026-07-15T09:29:59+08:00"), settings=protected)
    assert expire_confirmation(job, at=instant("2026-07-15T09:30:00+08:00"), settings=protected)
    assert (job.msg_status, job.event_status, job.counts) == (
        "SEND_FAIL",
        "send fail",
        JobCounts(0, 0, 0, 0),
    )
    assert job.voided
    assert job.timeline[-1] == (JobState.FAILED, instant("2026-07-15T09:30:00+08:00"))


def test_X12_M16_a_confirmed_send_goes_to_dispatch_and_late_decisions_are_refused() -> None:
    protected = SVC.__class__(AccountType.SERVICE, mass_protection=True)
    job = an_api_job(submitted_at=instant("2026-07-15T09:40:00+08:00"))
    job.transition_to(JobState.AWAITING_CONFIRMATION, at=job.submitted_at)
    at = instant("2026-07-15T09:45:00+08:00")
    assert confirm(job, approve=True, at=at, settings=protected) is JobState.DISPATCHED
    late = an_api_job(submitted_at=instant("2026-07-15T09:00:00+08:00"))
    late.transition_to(JobState.AWAITING_CONFIRMATION, at=late.submitted_at)
    with pytest.raises(InvalidJobTransition):
        confirm(late, approve=True, at=instant("2026-07-15T09:30:00+08:00"), settings=protected)


def test_M16_refusal_fails_the_job_with_send_fail() -> None:
    protected = SVC.__class__(AccountType.SERVICE, mass_protection=True)
    job = an_api_job()
    job.transition_to(JobState.AWAITING_CONFIRMATION, at=job.submitted_at)
    confirm(job, approve=False, at=job.submitted_at + timedelta(minutes=1), settings=protected)
    assert (job.state, job.event_status) == (JobState.FAILED, "send fail")


def test_S3_a_dispatched_job_can_no_longer_be_voided() -> None:
    job = an_api_job()
    job.transition_to(JobState.DISPATCHED, at=job.submitted_at)
    with pytest.raises(InvalidJobTransition):
        job.fail(at=job.submitted_at)


@pytest.mark.parametrize(
    ("speed", "errcode"),
    [pytest.param(None, 45084, id="missing"), pytest.param(5, 45083, id="out-of-range")],
)
def test_M17_speed_set_validation(speed: object, errcode: int) -> None:
    with pytest.raises(PlatformRuleViolation) as raised:
        check_speed(speed, awaiting_confirmation=False)
    assert raised.value.errcode == errcode


def test_M17_D20_paced_delivery_of_a_million_at_speed_0_takes_two_minutes() -> None:
    assert paced_minutes(1_000_000, 0) == 2
    assert check_speed(3, awaiting_confirmation=False) == 3


def test_S6_redis_month_data_expires_at_the_start_of_the_month_two_months_later() -> None:
    assert counter_expires_at("2026-09", SHANGHAI).isoformat() == "2026-10-31T16:00:00+00:00"


def test_M13_isv_channels_are_api_channels() -> None:
    isv = Channel(ChannelKind.ISV, "wx00000000000000ff")
    assert isv.label == "api:isv:wx00000000000000ff"
    assert isv.is_api
    assert counters_to_reserve(isv, ToAll(), settings=SVC) == counters_to_reserve(
        API, ToAll(), settings=SVC
    )


# -- properties ---------------------------------------------------------------------------------

sends = st.lists(st.lists(st.integers(0, 30), max_size=40), max_size=12)


@given(sends=sends, cap=st.integers(0, 6), order=st.randoms(use_true_random=False))
def test_S1_a_counter_never_passes_its_cap_in_any_interleaving(
    sends: list[list[int]], cap: int, order: object
) -> None:
    # given: each send split into chunks, chunks of all sends interleaved in a random order
    pieces = [(i, chunk) for i, s in enumerate(sends) for chunk in (s[:20], s[20:])]
    order.shuffle(pieces)  # type: ignore[attr-defined]
    used: Counter[OpenId] = Counter()
    charged = 0
    # when
    for _, piece in pieces:
        attempted, at_cap = split_by_cap(map(oid, piece), used, cap=cap)
        used.update(attempted)
        charged += len(attempted)
        assert set(attempted).isdisjoint(at_cap)
    # then: nobody above the cap, and each id took min(cap, sends that named it) whatever the order
    assert all(n <= cap for n in used.values())
    appearances = Counter(o for _, piece in pieces for o in set(piece))
    assert sum(used.values()) == charged == sum(min(cap, k) for k in appearances.values())


@given(
    at=st.datetimes(timezones=st.timezones()),
    zone=st.sampled_from(["Asia/Shanghai", "America/Santiago", "UTC"]),
)
def test_D1_the_month_label_names_the_natural_month_containing_the_instant(
    at: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    label = month_label(at.astimezone(UTC), tz)
    period = month_period(label, tz)
    assert at in period
    assert counter_expires_at(label, tz) > period.end


@given(path=st.lists(st.sampled_from(list(JobState)), max_size=8))
def test_lifecycle_only_follows_the_transitions_table(path: list[JobState]) -> None:
    job = an_api_job()
    for target in path:
        before = job.state
        if target in TRANSITIONS[before]:
            job.transition_to(target, at=job.submitted_at)
            assert job.state is target
        else:
            with pytest.raises(InvalidJobTransition):
                job.transition_to(target, at=job.submitted_at)
            assert job.state is before


@given(openids=st.lists(st.integers(0, 50), min_size=2, max_size=30), text=st.text(min_size=1))
def test_M15_the_default_digest_is_64_hex_and_order_independent(
    openids: list[int], text: str
) -> None:
    message = MassMessage("text", {"content": text})
    ids = [oid(n) for n in openids]
    forward = ToOpenIds(tuple(dict.fromkeys(ids)), len(ids))
    backward = ToOpenIds(tuple(dict.fromkeys(reversed(ids))), len(ids))
    digest = default_clientmsgid(message, forward)
    assert digest == default_clientmsgid(message, backward)
    assert len(digest) == 64
    assert json.loads(json.dumps({"d": digest}))["d"] == digest.lower()


@given(sent=st.integers(0, 100), error=st.integers(0, 100), extra=st.integers(0, 100))
def test_M20_filter_count_is_sent_plus_error(sent: int, error: int, extra: int) -> None:
    counts = JobCounts(sent + error + extra, sent + error, sent, error)
    assert counts.filter_count == counts.sent + counts.error
    with pytest.raises(ValueError):
        JobCounts(sent + error + extra, sent + error + 1, sent, error)
