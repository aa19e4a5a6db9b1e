"""WeCom activation codes: statuses, activation, merge, batches, transfer, sharing (§2.5-§2.7)."""

# ruff: noqa: N802 - test names carry the spec's rule IDs (STYLE 2.19)

from __future__ import annotations

import pytest
from tests.unit.licence_code_factories import CORP, DAYS, NOW, bound, members, unbound

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.licence_codes import (
    BASIC,
    INTEROP,
    ActivationCode,
    CodeRules,
    CodesMerged,
    CodeStatus,
    InvalidCodeTransition,
    LicenceTransferred,
    activate_by_type,
    activate_code,
    apply_test_corp_removal,
    batch_activate,
    batch_transfer,
    bind,
    due_expiry_reminders,
    duplicate_errcodes,
    invalidate_refunded_codes,
    pick_code_by_type,
    share_codes,
    transfer_licences,
    user_active_info,
    valid_codes_bound_in,
)
from tollhouse.domain.periods import from_unix, to_unix


def activate(code: ActivationCode, userid: str, held: list[ActivationCode], **kw: object):
    return activate_code(
        code, userid=userid, corpid=CORP, members=members(userid), held=held, at=NOW, **kw
    )


def errcode_of(call) -> int:
    with pytest.raises(PlatformRuleViolation) as raised:
        call()
    return raised.value.errcode


# Worked examples (spec §6).


@pytest.mark.parametrize(
    ("a_expire", "expected_errcode"),
    [pytest.param(1716775200, 701082, id="licences-W7")],
)
def test_W7_L37_reactivation_with_21_days_left_is_refused_and_changes_nothing(
    a_expire: int, expected_errcode: int
) -> None:
    # given: u1 holds basic code A with 21 days left, and basic code B is unbound
    a = bound("A", "u1", expire=from_unix(a_expire))
    b = unbound("B")
    # when / then
    assert errcode_of(lambda: activate(b, "u1", [a])) == expected_errcode
    assert a.status(at=NOW, seen_by=CORP) is CodeStatus.VALID
    assert to_unix(a.expire_time) == 1716775200
    assert b.status(at=NOW, seen_by=CORP) is CodeStatus.UNBOUND
    assert b.userid is None


@pytest.mark.parametrize(
    ("b_days", "expected_expire"),
    [pytest.param(372, 1714960800 + 372 * 86400, id="licences-W8")],
)
def test_W8_L3_L39_basic_activation_beside_a_valid_interop_code_never_merges(
    b_days: int, expected_expire: int
) -> None:
    # given: u2 holds only a valid interop code I
    i = bound("I", "u2", type_=INTEROP, expire=NOW + 100 * DAYS)
    i_expire = i.expire_time
    b = unbound("B", days=b_days)
    # when
    events = activate(b, "u2", [i])
    # then
    assert b.status(at=NOW, seen_by=CORP) is CodeStatus.VALID
    assert to_unix(b.expire_time) == expected_expire
    assert i.expire_time == i_expire
    assert i.status(at=NOW, seen_by=CORP) is CodeStatus.VALID
    assert (b.merged_from, b.merged_into, i.merged_from, i.merged_into) == (None,) * 4
    assert not any(isinstance(e, CodesMerged) for e in events)
    info = user_active_info([i, b], corpid=CORP)
    assert info.active_status == 1
    assert sorted(c.type for c in info.codes) == [1, 2]


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("batch_active_account", id="licences-W12-activate"),
        pytest.param("batch_transfer_license", id="licences-W12-transfer"),
    ],
)
def test_W12_L41_L48_batches_above_1000_items_are_refused_whole(operation: str) -> None:
    codes = {f"c{n}": unbound(f"c{n}") for n in range(1001)}
    users = members(*(f"u{n}" for n in range(1001)))

    def run(count: int):
        if operation == "batch_active_account":
            items = [(f"c{n}", f"u{n}") for n in range(count)]
            return batch_activate(items, codes=codes, corpid=CORP, members=users, at=NOW)
        pairs = [(f"u{n}", f"v{n}") for n in range(count)]
        return batch_transfer(pairs, codes=[], corpid=CORP, members=users, at=NOW)

    assert errcode_of(lambda: run(1001)) == 701026
    assert all(code.userid is None for code in codes.values())  # nothing processed
    outcome = run(1000)  # accepted; items are then checked one by one
    assert len(outcome.results) == 1000


@pytest.mark.parametrize(
    ("first_count", "second_count", "headcount"),
    [pytest.param(700, 600, 300, id="licences-W15")],
)
def test_W15_L50_L51_share_count_is_capped_at_twice_the_downstream_headcount(
    first_count: int, second_count: int, headcount: int
) -> None:
    codes = {f"s{n}": unbound(f"s{n}", owner="wwup") for n in range(first_count)}

    def share(count: int):
        return share_codes(
            [f"s{n}" for n in range(count)],
            codes=codes,
            from_corpid="wwup",
            to_corpid="wwdown",
            linked=True,
            downstream_headcount=headcount,
            at=NOW,
        )

    assert errcode_of(lambda: share(first_count)) == 701918
    assert all(code.shared_to is None for code in codes.values())  # nothing shared
    outcome = share(second_count)
    assert outcome.errcode == 0
    assert outcome.results == ()  # share_result empty
    shared = codes["s0"]
    assert shared.status(at=NOW, seen_by="wwup") is CodeStatus.SHARED
    assert shared.shared_to == "wwdown"
    assert shared.status(at=NOW, seen_by="wwdown") is CodeStatus.UNBOUND
    assert codes[f"s{second_count}"].shared_to is None


# L33 / D31: statuses computed at read time.


def test_L33_D31_a_bound_code_is_expired_from_its_expire_time_onwards() -> None:
    code = bound("A", "u1", expire=NOW)
    assert code.status(at=NOW - from_unix(1).resolution, seen_by=CORP) is CodeStatus.VALID
    assert code.status(at=NOW, seen_by=CORP) is CodeStatus.EXPIRED


def test_L33_status_4_is_shown_for_an_awaiting_code_until_it_expires() -> None:
    code = bound("A", "u1", expire=NOW + DAYS)
    code.awaiting_transfer = True
    assert code.status(at=NOW, seen_by=CORP) is CodeStatus.AWAITING_TRANSFER
    assert code.status(at=NOW + DAYS, seen_by=CORP) is CodeStatus.EXPIRED


def test_L33_L40_a_corp_that_cannot_see_a_code_gets_701021() -> None:
    code = unbound("A")
    assert errcode_of(lambda: code.status(at=NOW, seen_by="wwother")) == 701021


def test_L33_a_merged_code_cannot_be_bound_again_through_the_transition_table() -> None:
    code = unbound("A")
    code.merged_into = "B"
    with pytest.raises(InvalidCodeTransition):
        bind(code, "u1", corpid=CORP, previous=None, at=NOW)


# L34 / D6 / D23: activation deadline.


def test_L34_D23_activation_is_allowed_strictly_before_365_days_after_creation() -> None:
    deadline_code = unbound("A", created=NOW - 365 * DAYS)
    assert errcode_of(lambda: activate(deadline_code, "u1", [])) == 701012
    assert deadline_code.status(at=NOW, seen_by=CORP) is CodeStatus.EXPIRED  # D6
    last_second = unbound("B", created=NOW - 365 * DAYS + from_unix(1).resolution * 1_000_000)
    activate(last_second, "u1", [])
    assert last_second.status(at=NOW, seen_by=CORP) is CodeStatus.VALID


# L35 / L36: expiry and merge.


def test_L35_expire_time_is_the_activation_instant_plus_D_days() -> None:
    code = unbound("A", days=82)
    activate(code, "u1", [])
    assert to_unix(code.expire_time) - to_unix(NOW) == 7_084_800  # W1: 82 × 86 400
    assert code.active_time == NOW


def test_L36_merge_carries_the_remaining_time_and_resets_the_old_code() -> None:
    old = bound("A", "u1", expire=NOW + 10 * DAYS)
    new = unbound("B", days=31)
    events = activate(new, "u1", [old])
    assert new.expire_time == NOW + 41 * DAYS
    assert old.status(at=NOW, seen_by=CORP) is CodeStatus.MERGED
    assert old.expire_time == NOW
    assert (old.merged_into, new.merged_from) == ("B", "A")
    merged = next(e for e in events if isinstance(e, CodesMerged))
    assert merged.carried_seconds == 10 * 86400


def test_L36_merging_an_expired_code_keeps_its_expire_time_and_carries_nothing() -> None:
    old = bound("A", "u1", expire=NOW - 5 * DAYS)
    new = unbound("B", days=31)
    activate(new, "u1", [old])
    assert old.expire_time == NOW - 5 * DAYS
    assert new.expire_time == NOW + 31 * DAYS
    assert old.merged_into == "B"


def test_L36_L40_a_merged_code_can_never_be_activated_again() -> None:
    old = bound("A", "u1", expire=NOW - DAYS)
    activate(unbound("B"), "u1", [old])
    old.userid = None  # even if it looked unbound
    assert errcode_of(lambda: activate(old, "u3", [])) == 701914


def test_L37_reactivation_is_allowed_with_exactly_20_days_left() -> None:
    at_limit = bound("A", "u1", expire=NOW + 20 * DAYS)
    activate(unbound("B"), "u1", [at_limit])
    over = bound("C", "u2", expire=NOW + 20 * DAYS + DAYS / 86400)
    assert errcode_of(lambda: activate(unbound("D"), "u2", [over])) == 701082


@pytest.mark.parametrize(
    ("old_remaining_days", "new_days", "errcode"),
    [
        pytest.param(10, 1860, 701030, id="cap-exceeded"),
        pytest.param(5, 1855, 0, id="exactly-at-cap"),
        pytest.param(-3, 1860, 0, id="fresh-60-months-after-expiry"),
    ],
)
def test_L38_D3_stacked_validity_is_capped_at_1860_days(
    old_remaining_days: int, new_days: int, errcode: int
) -> None:
    old = bound("A", "u1", expire=NOW + old_remaining_days * DAYS)
    new = unbound("B", days=new_days)
    if errcode:
        assert errcode_of(lambda: activate(new, "u1", [old])) == errcode
    else:
        activate(new, "u1", [old])
        assert new.expire_time <= NOW + 1860 * DAYS


def test_L38_D3_the_cap_is_configuration() -> None:
    old = bound("A", "u1", expire=NOW + 10 * DAYS)
    activate(unbound("B", days=1860), "u1", [old], rules=CodeRules(stack_cap_days=1870))


def test_L39_an_interop_activation_leaves_a_basic_code_alone() -> None:
    basic = bound("A", "u1", expire=NOW + 300 * DAYS)
    interop = unbound("I", type_=INTEROP)
    activate(interop, "u1", [basic])
    assert basic.merged_into is None
    assert interop.merged_from is None


# L40: activation preconditions, in order.


def _other_corp() -> ActivationCode:
    return unbound("X", owner="wwother")


def _invalidated() -> ActivationCode:
    code = unbound("X")
    code.invalidated = True
    return code


def _bound() -> ActivationCode:
    return bound("X", "someone", expire=NOW + DAYS)


@pytest.mark.parametrize(
    ("make_code", "userid", "users", "errcode"),
    [
        pytest.param(_other_corp, "u1", members("u1"), 701021, id="another-corps-code"),
        pytest.param(_invalidated, "u1", members("u1"), 701021, id="invalidated"),
        pytest.param(_bound, "u1", members("u1"), 701003, id="already-bound"),
        pytest.param(lambda: unbound("X"), "ghost", members("u1"), 701019, id="unknown-member"),
        pytest.param(lambda: unbound("X"), "u9", members(left=("u9",)), 701019, id="left"),
        pytest.param(lambda: unbound("X"), "u8", members(hidden=("u8",)), 701088, id="invisible"),
    ],
)
def test_L40_activation_preconditions(make_code, userid, users, errcode) -> None:
    code = make_code()
    call = lambda: activate_code(  # noqa: E731
        code, userid=userid, corpid=CORP, members=users, held=[], at=NOW
    )
    assert errcode_of(call) == errcode


# L41 / D25: batches.


def test_L41_later_duplicates_fail_per_item_and_the_first_occurrence_is_processed() -> None:
    items = [("c1", "u1"), ("c1", "u2"), ("c2", "u1"), ("c3", "u3")]
    assert duplicate_errcodes(items) == [0, 701023, 701020, 0]
    codes = {c: unbound(c) for c in ("c1", "c2", "c3")}
    outcome = batch_activate(
        items, codes=codes, corpid=CORP, members=members("u1", "u2", "u3"), at=NOW
    )
    assert [r.errcode for r in outcome.results] == [0, 701023, 701020, 0]
    assert outcome.errcode == 0
    assert (codes["c1"].userid, codes["c2"].userid, codes["c3"].userid) == ("u1", None, "u3")


def test_L41_D25_empty_list_is_701025_and_all_failed_is_701024() -> None:
    users = members("u1")
    assert (
        errcode_of(lambda: batch_activate([], codes={}, corpid=CORP, members=users, at=NOW))
        == 701025
    )
    outcome = batch_activate([("nope", "u1")], codes={}, corpid=CORP, members=users, at=NOW)
    assert outcome.errcode == 701024
    assert outcome.results[0].errcode == 701021


def test_L41_L37_a_batch_sees_the_codes_it_bound_earlier() -> None:
    codes = {"c1": unbound("c1"), "c2": unbound("c2")}
    users = members("u1", "u2")
    outcome = batch_activate(
        [("c1", "u1"), ("c2", "u2")], codes=codes, corpid=CORP, members=users, at=NOW
    )
    assert outcome.errcode == 0
    second = batch_activate(
        [("c3", "u1")], codes={**codes, "c3": unbound("c3")}, corpid=CORP, members=users, at=NOW
    )
    assert second.results[0].errcode == 701082


# L42: activation by type.


def test_L42_picks_the_earliest_deadline_then_create_time_then_smallest_code() -> None:
    late = unbound("a-late", created=NOW - 5 * DAYS)
    early_b = unbound("b-early", created=NOW - 50 * DAYS)
    early_a = unbound("a-early", created=NOW - 50 * DAYS)
    interop = unbound("0-interop", type_=INTEROP, created=NOW - 90 * DAYS)
    expired = unbound("0-expired", created=NOW - 400 * DAYS)
    pool = [late, early_b, early_a, interop, expired]
    assert pick_code_by_type(pool, corpid=CORP, licence_type=BASIC, at=NOW) is early_a


def test_L42_a_valid_same_type_code_blocks_but_a_valid_interop_does_not_block_basic() -> None:
    users = members("u1")
    pool = [unbound("B1"), unbound("I1", type_=INTEROP)]
    valid_basic = bound("A", "u1", expire=NOW + 5 * DAYS)
    call = lambda: activate_by_type(  # noqa: E731
        pool,
        userid="u1",
        licence_type=BASIC,
        corpid=CORP,
        members=users,
        held=[valid_basic],
        at=NOW,
    )
    assert errcode_of(call) == 701011
    interop = bound("I0", "u1", type_=INTEROP, expire=NOW + 300 * DAYS)
    activate_by_type(
        pool, userid="u1", licence_type=BASIC, corpid=CORP, members=users, held=[interop], at=NOW
    )
    assert pool[0].userid == "u1"


def test_L42_an_expired_code_of_the_type_is_merged_and_an_empty_pool_is_701915() -> None:
    users = members("u1")
    expired = bound("A", "u1", expire=NOW - DAYS)
    pool = [unbound("B")]
    activate_by_type(
        pool, userid="u1", licence_type=BASIC, corpid=CORP, members=users, held=[expired], at=NOW
    )
    assert expired.merged_into == "B"
    call = lambda: activate_by_type(  # noqa: E731
        [], userid="u2", licence_type=BASIC, corpid=CORP, members=members("u2"), held=[], at=NOW
    )
    assert errcode_of(call) == 701915


def test_L1_L42_an_unknown_type_is_701006() -> None:
    call = lambda: activate_by_type(  # noqa: E731
        [], userid="u1", licence_type=3, corpid=CORP, members=members("u1"), held=[], at=NOW
    )
    assert errcode_of(call) == 701006


# L45-L48 / D4 / D5 / D26: transfer.


def transfer(handover: list[ActivationCode], takeover: list[ActivationCode], users=None, **kw):
    return transfer_licences(
        handover_userid="h",
        takeover_userid="t",
        corpid=CORP,
        members=users or members("h", "t"),
        handover_codes=handover,
        takeover_codes=takeover,
        at=kw.pop("at", NOW),
        **kw,
    )


def test_L45_D26_every_valid_type_moves_and_keeps_its_times() -> None:
    basic = bound("B", "h", expire=NOW + 100 * DAYS)
    interop = bound("I", "h", type_=INTEROP, expire=NOW + 200 * DAYS)
    expired = bound("E", "h", expire=NOW - DAYS, type_=BASIC)
    times = [(c.active_time, c.expire_time) for c in (basic, interop)]
    events = transfer([basic, interop, expired], [])
    assert (basic.userid, interop.userid, expired.userid) == ("t", "t", "h")
    assert [(c.active_time, c.expire_time) for c in (basic, interop)] == times
    assert sum(isinstance(e, LicenceTransferred) for e in events) == 2


@pytest.mark.parametrize(
    ("handover", "takeover", "users", "errcode"),
    [
        pytest.param("h", "h", members("h"), 701916, id="same-member"),
        pytest.param("h", "ghost", members("h"), 701019, id="unknown-takeover"),
        pytest.param("h", "t", members("t"), 701019, id="unknown-handover"),
        pytest.param("h", "t", members("h", left=("t",)), 701019, id="takeover-left"),
        pytest.param("h", "t", members("h", hidden=("t",)), 701088, id="takeover-invisible"),
    ],
)
def test_L45_pair_preconditions(handover, takeover, users, errcode) -> None:
    code = bound("B", handover, expire=NOW + 100 * DAYS)
    call = lambda: transfer_licences(  # noqa: E731
        handover_userid=handover, takeover_userid=takeover, corpid=CORP, members=users,
        handover_codes=[code], takeover_codes=[], at=NOW,
    )  # fmt: skip
    assert errcode_of(call) == errcode


def test_L45_a_handover_without_a_valid_code_is_701016() -> None:
    expired = bound("B", "h", expire=NOW)
    assert errcode_of(lambda: transfer([expired], [])) == 701016


def test_L46_D26_a_takeover_code_with_more_than_20_days_fails_the_whole_pair() -> None:
    basic = bound("B", "h", expire=NOW + 100 * DAYS)
    interop = bound("I", "h", type_=INTEROP, expire=NOW + 100 * DAYS)
    theirs = bound("TI", "t", type_=INTEROP, expire=NOW + 21 * DAYS)
    assert errcode_of(lambda: transfer([basic, interop], [theirs])) == 701018
    assert (basic.userid, interop.userid, theirs.merged_into) == ("h", "h", None)


def test_L46_D5_a_takeover_code_with_20_days_or_less_is_merged_into_the_arriving_code() -> None:
    arriving = bound("B", "h", expire=NOW + 100 * DAYS)
    theirs = bound("T", "t", expire=NOW + 10 * DAYS)
    transfer([arriving], [theirs])
    assert arriving.expire_time == NOW + 110 * DAYS
    assert theirs.status(at=NOW, seen_by=CORP) is CodeStatus.MERGED
    assert theirs.expire_time == NOW
    assert arriving.merged_from == "T"


def test_L46_L38_a_transfer_merge_is_capped_too() -> None:
    arriving = bound("B", "h", expire=NOW + 1855 * DAYS, days=1860)
    theirs = bound("T", "t", expire=NOW + 10 * DAYS)
    assert errcode_of(lambda: transfer([arriving], [theirs])) == 701030


def test_D5_with_transfer_merge_off_any_takeover_code_of_the_type_is_701018() -> None:
    arriving = bound("B", "h", expire=NOW + 100 * DAYS)
    theirs = bound("T", "t", expire=NOW - DAYS)
    call = lambda: transfer([arriving], [theirs], rules=CodeRules(transfer_merge=False))  # noqa: E731
    assert errcode_of(call) == 701018


def test_L47_D4_an_in_service_transfer_starts_a_30_day_cooldown_on_the_code() -> None:
    code = bound("B", "h", expire=NOW + 100 * DAYS)
    transfer([code], [])
    assert code.last_in_service_transfer_at == NOW
    back = members("h", "t")
    again = lambda at: transfer_licences(  # noqa: E731
        handover_userid="t", takeover_userid="h", corpid=CORP, members=back,
        handover_codes=[code], takeover_codes=[], at=at,
    )  # fmt: skip
    assert errcode_of(lambda: again(NOW + 30 * DAYS - DAYS / 86400)) == 701017
    again(NOW + 30 * DAYS)  # inclusive boundary
    assert code.userid == "h"


def test_L47_L56_a_transfer_from_a_member_who_left_starts_no_cooldown_but_honours_one() -> None:
    code = bound("B", "h", expire=NOW + 100 * DAYS)
    users = members("t", left=("h",))
    events = transfer([code], [], users=users)
    assert code.last_in_service_transfer_at is None
    assert not next(e for e in events if isinstance(e, LicenceTransferred)).starts_cooldown
    earlier = bound("C", "h", expire=NOW + 100 * DAYS)
    earlier.last_in_service_transfer_at = NOW - 10 * DAYS
    earlier.awaiting_transfer = True
    assert errcode_of(lambda: transfer([earlier], [], users=users)) == 701017


def test_L48_per_pair_results_and_701024_when_every_pair_fails() -> None:
    code = bound("B", "h", expire=NOW + 100 * DAYS)
    users = members("h", "t", "x")
    outcome = batch_transfer(
        [("h", "t"), ("h", "x")], codes=[code], corpid=CORP, members=users, at=NOW
    )
    assert [r.errcode for r in outcome.results] == [0, 701016]
    assert outcome.errcode == 0
    failed = batch_transfer([("x", "t")], codes=[code], corpid=CORP, members=users, at=NOW)
    assert failed.errcode == 701024


# L49-L51: sharing.


def test_L49_codes_that_are_not_unbound_and_owned_fail_per_item_with_701917() -> None:
    codes = {
        "ok": unbound("ok", owner="wwup"),
        "bound": bound("bound", "u1", expire=NOW + DAYS, corp="wwup"),
        "foreign": unbound("foreign", owner="wwelse"),
    }
    outcome = share_codes(
        ["ok", "ok", "bound", "foreign", "missing"], codes=codes, from_corpid="wwup",
        to_corpid="wwdown", linked=True, downstream_headcount=10, at=NOW,
    )  # fmt: skip
    assert [(f.active_code, f.errcode) for f in outcome.results] == [
        ("ok", 701917),
        ("bound", 701917),
        ("foreign", 701917),
        ("missing", 701917),
    ]
    assert outcome.results[0].errmsg.startswith("tollhouse: L49:")
    assert codes["ok"].shared_to == "wwdown"


def test_L49_unlinked_corps_are_701919() -> None:
    call = lambda: share_codes(  # noqa: E731
        ["a"], codes={}, from_corpid="wwup", to_corpid="wwdown", linked=False,
        downstream_headcount=10, at=NOW,
    )  # fmt: skip
    assert errcode_of(call) == 701919


def test_L51_a_shared_code_is_activated_by_the_downstream_only() -> None:
    code = unbound("S", owner="wwup")
    share_codes(["S"], codes={"S": code}, from_corpid="wwup", to_corpid="wwdown", linked=True,
                downstream_headcount=1, at=NOW)  # fmt: skip
    upstream = lambda: activate_code(  # noqa: E731
        code, userid="u1", corpid="wwup", members=members("u1"), held=[], at=NOW
    )
    assert errcode_of(upstream) == 701021
    activate_code(code, userid="d1", corpid="wwdown", members=members("d1"), held=[], at=NOW)
    assert code.status(at=NOW, seen_by="wwdown") is CodeStatus.VALID
    assert code.status(at=NOW, seen_by="wwup") is CodeStatus.SHARED
    assert valid_codes_bound_in([code], corpid="wwdown", licence_type=BASIC, at=NOW) == [
        code
    ]  # D30
    assert valid_codes_bound_in([code], corpid="wwup", licence_type=BASIC, at=NOW) == []


# D19 / D20 / D27.


def test_D19_a_refund_invalidates_unbound_codes_and_keeps_bound_ones() -> None:
    free, used = unbound("F"), bound("U", "u1", expire=NOW + DAYS)
    events = invalidate_refunded_codes([free, used], at=NOW)
    assert [e.active_code for e in events] == ["F"]
    assert errcode_of(lambda: activate(free, "u2", [])) == 701021
    assert errcode_of(lambda: free.status(at=NOW, seen_by=CORP)) == 701021
    assert used.status(at=NOW, seen_by=CORP) is CodeStatus.VALID


def test_D20_test_corp_removal_expires_bound_codes_at_the_removal() -> None:
    free, used = unbound("F"), bound("U", "u1", expire=NOW + 10 * DAYS)
    apply_test_corp_removal([free, used], at=NOW)
    assert free.invalidated
    assert used.expire_time == NOW
    assert used.status(at=NOW, seen_by=CORP) is CodeStatus.EXPIRED


def test_L48_L45_a_self_transfer_fails_alone_and_later_pairs_still_see_the_codes() -> None:
    code = bound("B", "h", expire=NOW + 100 * DAYS)
    users = members("h", "t")
    outcome = batch_transfer(
        [("h", "h"), ("h", "t")], codes=[code], corpid=CORP, members=users, at=NOW
    )
    assert [r.errcode for r in outcome.results] == [701916, 0]
    assert code.userid == "t"


def test_D20_L62_a_code_expired_by_test_corp_removal_gets_no_expiry_reminder() -> None:
    used = bound("U", "u1", expire=NOW + 10 * DAYS)
    apply_test_corp_removal([used], at=NOW)
    assert due_expiry_reminders([used], until=NOW + 30 * DAYS) == []


def test_D27_a_member_with_only_an_expired_code_is_still_active_status_1() -> None:
    expired = bound("A", "u1", expire=NOW - DAYS)
    info = user_active_info([expired], corpid=CORP)
    assert (info.active_status, info.codes) == (1, (expired,))
    assert user_active_info([], corpid=CORP).active_status == 0
