"""Hypothesis properties of activation codes: the stacking cap, merged codes, interop ⊇ basic."""

# ruff: noqa: N802 - test names carry the spec's rule IDs (STYLE 2.19)

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.licence_code_factories import CORP, NOW, bound, members, unbound

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.licence_codes import (
    BASIC,
    INTEROP,
    ActivationCode,
    ApiClass,
    LicenceInfo,
    Member,
    Scene,
    activate_code,
    auto_activate,
    check_access,
    transfer_licences,
)

CAP = timedelta(days=1860)
SECONDS = st.integers(min_value=-400 * 86400, max_value=2000 * 86400)
DURATIONS = st.integers(min_value=31, max_value=1860)
CHECKING = LicenceInfo(1, None, NOW - timedelta(days=100))


@given(old_remaining=st.one_of(st.none(), SECONDS), days=DURATIONS)
def test_L38_D3_activation_never_stacks_beyond_1860_days_from_the_activation_instant(
    old_remaining: int | None, days: int
) -> None:
    held = (
        []
        if old_remaining is None
        else [bound("A", "u1", expire=NOW + timedelta(seconds=old_remaining))]
    )
    new = unbound("B", days=days)
    errcode = 0
    try:
        activate_code(new, userid="u1", corpid=CORP, members=members("u1"), held=held, at=NOW)
    except PlatformRuleViolation as refused:
        errcode = refused.errcode
    if errcode:
        assert errcode in {701082, 701030}
        return
    assert new.expire_time is not None
    assert new.expire_time - NOW <= CAP


@given(
    arriving=st.integers(min_value=1, max_value=1860 * 86400),
    theirs=st.integers(min_value=-400 * 86400, max_value=20 * 86400),
)
def test_L46_D5_a_transfer_merge_never_stacks_beyond_1860_days(arriving: int, theirs: int) -> None:
    code = bound("X", "h", expire=NOW + timedelta(seconds=arriving), days=1860)
    old = bound("T", "t", expire=NOW + timedelta(seconds=theirs))
    errcode = 0
    try:
        transfer_licences(
            handover_userid="h", takeover_userid="t", corpid=CORP, members=members("h", "t"),
            handover_codes=[code], takeover_codes=[old], at=NOW,
        )  # fmt: skip
    except PlatformRuleViolation as refused:
        errcode = refused.errcode
    if errcode:
        assert errcode == 701030
        return
    assert code.expire_time is not None
    assert code.expire_time - NOW <= CAP


@given(
    old_remaining=st.integers(min_value=-400 * 86400, max_value=20 * 86400),
    later=st.integers(min_value=0, max_value=3000 * 86400),
    scene=st.sampled_from([Scene.OPEN_APP, Scene.APP_MESSAGE]),
    use_auto=st.booleans(),
)
def test_L33_L36_a_merged_code_is_never_valid_again(
    old_remaining: int, later: int, scene: Scene, use_auto: bool
) -> None:
    if use_auto:  # L53: auto-activation renews only with 7 days or fewer left
        old_remaining = min(old_remaining, 7 * 86400)
    old = bound("A", "u1", expire=NOW + timedelta(seconds=old_remaining))
    new = unbound("B", days=31)
    if use_auto:
        auto_activate(Member("u1"), [old], [new], scene=scene, corpid=CORP, info=CHECKING,
                      auto_active_on=True, at=NOW)  # fmt: skip
    else:
        activate_code(new, userid="u1", corpid=CORP, members=members("u1"), held=[old], at=NOW)
    at = NOW + timedelta(seconds=later)
    assert old.merged_into == "B"
    assert not old.is_valid(at)
    decision = check_access(
        CHECKING, Member("u1"), [old], userid="u1", api_class=ApiClass.BASIC, at=at
    )
    assert not decision.allowed


CODE_SPECS = st.lists(
    st.tuples(
        st.sampled_from([BASIC, INTEROP]),
        st.integers(min_value=-30 * 86400, max_value=30 * 86400),
        st.booleans(),
    ),
    max_size=4,
)


def _codes(specs: list[tuple[int, int, bool]]) -> list[ActivationCode]:
    codes = []
    for n, (type_, offset, merged) in enumerate(specs):
        code = bound(f"c{n}", "u1", type_=type_, expire=NOW + timedelta(seconds=offset))
        code.merged_into = "other" if merged else None
        codes.append(code)
    return codes


@given(specs=CODE_SPECS, visible=st.booleans())
def test_L2_L59_whoever_passes_an_interop_check_passes_every_basic_check(
    specs: list[tuple[int, int, bool]], visible: bool
) -> None:
    held = _codes(specs)
    member = Member("u1", visible=visible)

    def allowed(api_class: ApiClass) -> bool:
        return check_access(
            CHECKING, member, held, userid="u1", api_class=api_class, at=NOW
        ).allowed

    if allowed(ApiClass.INTEROP):
        assert allowed(ApiClass.BASIC)
        assert allowed(ApiClass.MESSAGE)
