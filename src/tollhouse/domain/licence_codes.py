"""WeCom licence activation codes and their lifecycle (spec wecom-licences §2.5-§2.9).

Activation, merge and stacking, pick by type, batches, transfer, sharing to downstream corps,
auto-activation, trial, interception, reminders and the daily status-4 sweep.

Pure: no clock and no I/O. Every function takes ``at`` (aware UTC), mutates the
``ActivationCode`` entities it is given (the repository persists them) and returns past-tense
events. Refusals are ``PlatformRuleViolation`` carrying WeCom's errcode and the rule ID.

``held`` always means the codes bound to one member in one corp (merged ones may be included;
they are ignored). The interception check is O(len(held)).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, ClassVar, Final, Generic, TypeVar

from tollhouse.domain.errors import PlatformRuleViolation, Refused
from tollhouse.domain.periods import DAY, SHANGHAI, Period, next_local_time

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

NAMESPACE: Final = "wecom.licences"
BASIC: Final = 1  # L1 basic account (基础账号)
INTEROP: Final = 2  # L1 interop account (互通账号)
LICENCE_TYPES: Final = frozenset({BASIC, INTEROP})
BATCH_LIMIT: Final = 1_000  # L41, L48, L50
ZERO: Final = timedelta(0)
ACTIVATION_DEADLINE: Final = timedelta(days=365)  # L34, D23: a fixed count of days
EARLY_REACTIVATION_LIMIT: Final = timedelta(days=20)  # L37, L46
AUTO_RENEW_WINDOW: Final = timedelta(days=7)  # L53: remaining ≤ 7 days may auto-activate
REMINDER_LEAD: Final = timedelta(days=7)  # L62
SHARE_HEADCOUNT_FACTOR: Final = 2  # L50
PROJECT_CODES: Final = (701_900, 701_999)  # §4.6: errmsg names the rule


@dataclass(frozen=True, slots=True)
class CodeRules:
    """The configurable defaults of spec §5 that apply to codes."""

    stack_cap_days: int = 1_860  # D3 `stack_cap_days`
    transfer_cooldown_days: int = 30  # D4 `transfer_cooldown_days`
    transfer_merge: bool = True  # D5 `transfer_merge`
    auto_activate_lead_days: int = 7  # D22 `auto_activate_lead_days`
    trial_days: int = 90  # D2 `trial_days`
    daily_run_time: time = time(2, 0)  # D33 `daily_run_time`, Asia/Shanghai

    @property
    def stack_cap(self) -> timedelta:
        return self.stack_cap_days * DAY


DEFAULT_RULES: Final = CodeRules()

MESSAGES: Final[Mapping[int, str]] = {
    701003: "code {active_code} is already bound to {userid}; use an unbound code",
    701006: "type {type} is not a licence type; use 1 (basic) or 2 (interop)",
    701011: "member {userid} already holds valid code {active_code} of type {type}; "
    "activate again once it has expired",
    701012: "code {active_code} passed its activation deadline {deadline} "
    "(365 days after its creation); it can no longer be activated",
    701016: "member {userid} holds no bound, unexpired code to hand over",
    701017: "code {active_code} was handed over in service at {since}; "
    "it can be transferred again from {until}",
    701018: "takeover already holds code {active_code} of type {type} with {days} days left; "
    "a transfer can merge it only when 20 days or fewer remain",
    701019: "userid {userid} is not a current member of corp {corpid}; check the userid",
    701021: "code {active_code} is unknown to corp {corpid}, or was invalidated by a refund "
    "or a test-corp removal",
    701025: "the list is empty; send at least one item",
    701026: "the list has {count} items, above the limit of {limit}; split it",
    701030: "stacking on code {active_code} would give {days} days of validity, above the cap "
    "of {cap} days; activate later",
    701082: "code {active_code} of type {type} still has {days} days left; a new code can "
    "take over only when 20 days or fewer remain",
    701088: "member {userid} is outside the app's visible range in corp {corpid}; "
    "add the member to the visible range first",
    701914: "code {active_code} was merged into {merged_into} and can never be used again",
    701915: "corp {corpid} has no unbound code of type {type}; buy more accounts",
    701916: "handover and takeover are the same member {userid}; name two members",
    701917: "code {active_code} cannot be shared: it is not an unbound, unshared code "
    "owned by {corpid}",
    701918: "{count} codes exceed 2 x the {headcount} members of {corpid} ({limit}); "
    "share fewer codes",
    701919: "{corpid} and {to_corpid} are not linked, or the app is not shared to {to_corpid}",
}


def refusal(errcode: int, rule: str, **details: str | int) -> PlatformRuleViolation:
    """The errcode's message filled with ``details``, which also go into the error's details.

    Project codes (701900-701999) start their message with ``tollhouse: <rule>:`` (spec §4.6).
    """
    message = MESSAGES[errcode].format(**details)
    if PROJECT_CODES[0] <= errcode <= PROJECT_CODES[1]:
        message = f"tollhouse: {rule}: {message}"
    return PlatformRuleViolation(
        errcode, message, rule=rule, namespace=NAMESPACE, details=dict(details)
    )


class CodeStatus(IntEnum):
    """WeCom's code status (L33) as seen by one corp; computed at read time (D31)."""

    UNBOUND = 1
    VALID = 2
    EXPIRED = 3
    AWAITING_TRANSFER = 4
    MERGED = 5
    SHARED = 6


class InvalidCodeTransition(Refused):
    code = "wecom.licences.invalid_code_transition"

    def __init__(self, active_code: str, old: CodeStatus, new: CodeStatus) -> None:
        super().__init__(
            f"code {active_code} cannot move from {old.name} to {new.name}; "
            "re-read the code and check the lifecycle of L33",
            details={"active_code": active_code, "from": old.name, "to": new.name},
        )


# Moves made by operations, in the holder's view (SHARED: the owner's view when sharing).
# Expiry by the clock is computed (D31); VALID → EXPIRED as a move is D20 only, EXPIRED → VALID
# is a renewal (L25), VALID → VALID a transfer.
TRANSITIONS: Final[Mapping[CodeStatus, frozenset[CodeStatus]]] = {
    CodeStatus.UNBOUND: frozenset({CodeStatus.VALID, CodeStatus.SHARED}),
    CodeStatus.VALID: frozenset(
        {CodeStatus.VALID, CodeStatus.MERGED, CodeStatus.AWAITING_TRANSFER, CodeStatus.EXPIRED}
    ),
    CodeStatus.AWAITING_TRANSFER: frozenset(
        {CodeStatus.VALID, CodeStatus.MERGED, CodeStatus.EXPIRED}
    ),
    CodeStatus.EXPIRED: frozenset({CodeStatus.VALID, CodeStatus.MERGED}),
}  # MERGED and SHARED are terminal


@dataclass(eq=False)
class ActivationCode:
    """One purchased account (激活码). ``owner_corpid`` bought it; ``shared_to`` received it."""

    active_code: str
    provider_id: str
    order_id: str
    owner_corpid: str
    type: int  # BASIC or INTEROP
    duration_days: int  # D of its order
    create_time: datetime
    userid: str | None = None
    bound_corpid: str | None = None
    active_time: datetime | None = None
    expire_time: datetime | None = None
    merged_into: str | None = None
    merged_from: str | None = None
    shared_to: str | None = None
    awaiting_transfer: bool = False
    invalidated: bool = False  # D19 refund, D20 test-corp removal
    last_in_service_transfer_at: datetime | None = None  # D4: the cooldown is keyed to the code
    expiring_reminder_for: datetime | None = None  # L62: the expire_time already reminded of

    TRANSITIONS: ClassVar[Mapping[CodeStatus, frozenset[CodeStatus]]] = TRANSITIONS

    @property
    def holder_corpid(self) -> str:
        """The corp that may activate it: the downstream once shared (L51)."""
        return self.shared_to or self.owner_corpid

    @property
    def activation_deadline(self) -> datetime:
        return self.create_time + ACTIVATION_DEADLINE

    @property
    def duration(self) -> timedelta:
        return self.duration_days * DAY

    def remaining(self, at: datetime) -> timedelta:
        """``expire_time − at`` of a bound code (≤ 0 when expired); zero when unbound."""
        return ZERO if self.expire_time is None else self.expire_time - at

    def is_valid(self, at: datetime) -> bool:
        """Bound, not merged, and ``expire_time > at`` (D31)."""
        expire = self.expire_time
        return expire is not None and expire > at and self.merged_into is None

    def is_visible_to(self, corpid: str) -> bool:
        return not self.invalidated and corpid in (self.owner_corpid, self.shared_to)

    def status(self, *, at: datetime, seen_by: str) -> CodeStatus:
        """Status 1-6 as ``seen_by`` sees it; 701021 for a corp that cannot see the code."""
        if not self.is_visible_to(seen_by):
            raise refusal(701021, "L40", active_code=self.active_code, corpid=seen_by)
        if self.shared_to is not None and seen_by == self.owner_corpid:
            return CodeStatus.SHARED
        return self.holder_status(at)

    def holder_status(self, at: datetime) -> CodeStatus:
        """The status in the corp holding the code (the downstream once shared)."""
        if self.merged_into is not None:
            return CodeStatus.MERGED
        if self.expire_time is None:
            return CodeStatus.UNBOUND if at < self.activation_deadline else CodeStatus.EXPIRED
        if self.expire_time <= at:
            return CodeStatus.EXPIRED
        return CodeStatus.AWAITING_TRANSFER if self.awaiting_transfer else CodeStatus.VALID

    def check_transition(self, new: CodeStatus, *, at: datetime, seen_by: str) -> None:
        old = self.status(at=at, seen_by=seen_by)
        if new not in self.TRANSITIONS.get(old, frozenset()):
            raise InvalidCodeTransition(self.active_code, old, new)


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a customer corp, as the licence rules see it."""

    userid: str
    in_service: bool = True  # 在职: has not left
    visible: bool = True  # inside the app's visible range


# Events.


@dataclass(frozen=True, slots=True)
class CodeActivated:
    active_code: str
    corpid: str
    userid: str
    type: int
    active_time: datetime
    expire_time: datetime
    merged_from: str | None


@dataclass(frozen=True, slots=True)
class CodesMerged:
    from_active_code: str
    to_active_code: str
    corpid: str
    userid: str
    type: int
    at: datetime
    carried_seconds: int  # max(0, remaining) of the superseded code


@dataclass(frozen=True, slots=True)
class LicenceTransferred:
    active_code: str
    corpid: str
    handover_userid: str
    takeover_userid: str
    type: int
    at: datetime
    starts_cooldown: bool


@dataclass(frozen=True, slots=True)
class CodeShared:
    active_code: str
    from_corpid: str
    to_corpid: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CodeAutoActivated:
    active_code: str
    corpid: str
    userid: str
    type: int
    scene: int
    expire_time: datetime
    previous_status: int  # L54: 1 none, 2 unexpired with ≤ 7 days, 3 expired
    previous_active_code: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CodeAwaitingTransferChanged:
    active_code: str
    corpid: str
    userid: str
    awaiting_transfer: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class CodeInvalidated:
    active_code: str
    order_id: str
    reason: str  # "refunded" (D19) or "test_corp_removed" (D20)
    at: datetime


@dataclass(frozen=True, slots=True)
class CodeExpiredEarly:
    active_code: str
    order_id: str
    at: datetime  # D20: bound codes of a removed test corp expire at the removal


@dataclass(frozen=True, slots=True)
class TrialEnding:
    corpid: str
    suite_id: str
    at: datetime
    license_check_time: datetime


@dataclass(frozen=True, slots=True)
class LicenceExpiring:
    active_code: str
    corpid: str
    userid: str
    type: int
    at: datetime
    expire_time: datetime


CodeEvent = (
    CodeActivated
    | CodesMerged
    | LicenceTransferred
    | CodeShared
    | CodeAutoActivated
    | CodeAwaitingTransferChanged
    | CodeInvalidated
    | CodeExpiredEarly
    | LicenceExpiring
)


# Activation, merge and stacking: L34-L42.


def same_type_code(
    held: Iterable[ActivationCode], licence_type: int, *, corpid: str
) -> ActivationCode | None:
    """The member's bound, non-merged code of that type in the corp (L3: at most one)."""
    found: ActivationCode | None = None
    for code in held:
        expire = code.expire_time
        if (
            expire is not None
            and code.type == licence_type
            and code.bound_corpid == corpid
            and code.merged_into is None
            and (found is None or expire > (found.expire_time or expire))
        ):
            found = code
    return found


def require_member(members: Mapping[str, Member], userid: str, *, corpid: str) -> Member:
    """L40: the member exists in the corp (701019) and is inside the visible range (701088)."""
    member = members.get(userid)
    if member is None or not member.in_service:
        raise refusal(701019, "L40", userid=userid, corpid=corpid)
    if not member.visible:
        raise refusal(701088, "L40", userid=userid, corpid=corpid)
    return member


def require_activatable(code: ActivationCode, *, corpid: str, at: datetime) -> None:
    """L40 code checks in order: 701021, 701914, 701003, 701012 (L34, D23)."""
    if code.invalidated or code.holder_corpid != corpid:
        raise refusal(701021, "L40", active_code=code.active_code, corpid=corpid)
    if code.merged_into is not None:
        raise refusal(701914, "L33", active_code=code.active_code, merged_into=code.merged_into)
    if code.userid is not None:
        raise refusal(701003, "L40", active_code=code.active_code, userid=code.userid)
    if at >= code.activation_deadline:
        deadline = code.activation_deadline.isoformat()
        raise refusal(701012, "L34", active_code=code.active_code, deadline=deadline)


def require_stackable(
    previous: ActivationCode | None,
    *,
    incoming: timedelta,
    at: datetime,
    early: tuple[int, str],
    rules: CodeRules,
) -> None:
    """L37/L46: refused while > 20 days remain (``early`` = errcode, rule); then L38/D3 cap."""
    if previous is None:
        return
    left = previous.remaining(at)
    if left > EARLY_REACTIVATION_LIMIT:
        errcode, rule = early
        raise refusal(
            errcode, rule, active_code=previous.active_code, type=previous.type, days=left.days
        )
    stacked = max(left, ZERO) + incoming
    if stacked > rules.stack_cap:
        days = stacked.total_seconds() / DAY.total_seconds()
        raise refusal(
            701030,
            "L38",
            active_code=previous.active_code,
            days=f"{days:.2f}",
            cap=rules.stack_cap_days,
        )


def merge_into(old: ActivationCode, new: ActivationCode, *, at: datetime) -> CodesMerged:
    """L36: ``old`` → status 5, its expire_time reset to ``at`` if unexpired (carried over)."""
    corpid = old.bound_corpid or old.holder_corpid
    old.check_transition(CodeStatus.MERGED, at=at, seen_by=corpid)
    carried = max(old.remaining(at), ZERO)
    if carried > ZERO:
        old.expire_time = at
    old.merged_into, new.merged_from = new.active_code, old.active_code
    old.awaiting_transfer = False
    seconds = int(carried.total_seconds())
    return CodesMerged(
        old.active_code, new.active_code, corpid, old.userid or "", old.type, at, seconds
    )


def bind(
    code: ActivationCode, userid: str, *, corpid: str, previous: ActivationCode | None, at: datetime
) -> list[CodeEvent]:
    """L35/L36: bind and set ``expire_time = at + D + max(0, previous remaining)``."""
    code.check_transition(CodeStatus.VALID, at=at, seen_by=corpid)
    merged = [] if previous is None else [merge_into(previous, code, at=at)]
    carried = timedelta(seconds=sum(m.carried_seconds for m in merged))
    code.userid, code.bound_corpid, code.active_time = userid, corpid, at
    code.expire_time = expire = at + code.duration + carried
    activated = CodeActivated(
        code.active_code, corpid, userid, code.type, at, expire, code.merged_from
    )
    return [activated, *merged]


def activate_code(
    code: ActivationCode,
    *,
    userid: str,
    corpid: str,
    members: Mapping[str, Member],
    held: Sequence[ActivationCode],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> list[CodeEvent]:
    """`active_account`: L40 checks, then L37 (701082) and L38 (701030), then bind (L35, L36)."""
    require_activatable(code, corpid=corpid, at=at)
    require_member(members, userid, corpid=corpid)
    previous = same_type_code(held, code.type, corpid=corpid)
    require_stackable(previous, incoming=code.duration, at=at, early=(701082, "L37"), rules=rules)
    return bind(code, userid, corpid=corpid, previous=previous, at=at)


def is_free_in(code: ActivationCode, corpid: str, at: datetime) -> bool:
    """Unbound, usable, and activatable by ``corpid`` now."""
    return (
        code.userid is None
        and code.merged_into is None
        and not code.invalidated
        and code.holder_corpid == corpid
        and at < code.activation_deadline
    )


def pick_code_by_type(
    codes: Iterable[ActivationCode], *, corpid: str, licence_type: int, at: datetime
) -> ActivationCode | None:
    """L42: the free code of that type with the earliest deadline, then create_time, then id."""
    free = (c for c in codes if c.type == licence_type and is_free_in(c, corpid, at))
    return min(
        free, key=lambda c: (c.activation_deadline, c.create_time, c.active_code), default=None
    )


def require_licence_type(licence_type: int) -> None:
    if licence_type not in LICENCE_TYPES:
        raise refusal(701006, "L1", type=licence_type)


def activate_by_type(
    pool: Iterable[ActivationCode],
    *,
    userid: str,
    licence_type: int,
    corpid: str,
    members: Mapping[str, Member],
    held: Sequence[ActivationCode],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> list[CodeEvent]:
    """`active_account_by_type`: 701006, 701019, 701088, then L42 (701011, 701915)."""
    require_licence_type(licence_type)
    require_member(members, userid, corpid=corpid)
    previous = same_type_code(held, licence_type, corpid=corpid)
    if previous is not None and previous.is_valid(at):
        raise refusal(
            701011, "L42", userid=userid, active_code=previous.active_code, type=licence_type
        )
    code = pick_code_by_type(pool, corpid=corpid, licence_type=licence_type, at=at)
    if code is None:
        raise refusal(701915, "L42", corpid=corpid, type=licence_type)
    return activate_code(
        code, userid=userid, corpid=corpid, members=members, held=held, at=at, rules=rules
    )


# Batches: L41, L48, L50, D25.

ResultT = TypeVar("ResultT")


@dataclass(frozen=True, slots=True)
class BatchOutcome(Generic[ResultT]):
    errcode: int  # 0, or 701024 when every item failed (D25)
    results: tuple[ResultT, ...]
    events: tuple[CodeEvent, ...]


@dataclass(frozen=True, slots=True)
class ActivationResult:
    active_code: str
    userid: str
    errcode: int


@dataclass(frozen=True, slots=True)
class TransferResult:
    handover_userid: str
    takeover_userid: str
    errcode: int


@dataclass(frozen=True, slots=True)
class ShareFailure:
    active_code: str
    errcode: int
    errmsg: str


def require_batch_size(count: int, *, rule: str, limit: int = BATCH_LIMIT) -> None:
    """Size errors reject the whole call (D25): empty → 701025, above ``limit`` → 701026."""
    if count == 0:
        raise refusal(701025, rule)
    if count > limit:
        raise refusal(701026, rule, count=count, limit=limit)


def duplicate_errcodes(items: Sequence[tuple[str, str]]) -> list[int]:
    """L41: a code (701023) or userid (701020) seen earlier in the list fails; firsts get 0."""
    seen_codes: set[str] = set()
    seen_users: set[str] = set()
    errcodes: list[int] = []
    for active_code, userid in items:
        if active_code in seen_codes:
            errcodes.append(701023)
        elif userid in seen_users:
            errcodes.append(701020)
        else:
            errcodes.append(0)
        seen_codes.add(active_code)
        seen_users.add(userid)
    return errcodes


def batch_errcode(errcodes: Sequence[int]) -> int:
    """D25: top-level 0 with per-item errors; 701024 when every item failed."""
    return 701024 if errcodes and all(errcodes) else 0


def index_by_member(
    codes: Iterable[ActivationCode], *, corpid: str
) -> dict[str, list[ActivationCode]]:
    held: dict[str, list[ActivationCode]] = {}
    for code in codes:
        if code.userid is not None and code.bound_corpid == corpid:
            held.setdefault(code.userid, []).append(code)
    return held


def batch_activate(
    items: Sequence[tuple[str, str]],
    *,
    codes: Mapping[str, ActivationCode],
    corpid: str,
    members: Mapping[str, Member],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> BatchOutcome[ActivationResult]:
    """`batch_active_account` over (active_code, userid) items.

    ``codes`` holds the requested codes and every code bound to the listed members in the corp.
    """
    require_batch_size(len(items), rule="L41")
    held = index_by_member(codes.values(), corpid=corpid)
    results: list[ActivationResult] = []
    events: list[CodeEvent] = []
    for (active_code, userid), duplicate in zip(items, duplicate_errcodes(items), strict=True):
        errcode = duplicate
        if not duplicate:
            mine = held.setdefault(userid, [])
            try:
                code = codes.get(active_code)
                if code is None:
                    raise refusal(701021, "L40", active_code=active_code, corpid=corpid)
                events += activate_code(
                    code,
                    userid=userid,
                    corpid=corpid,
                    members=members,
                    held=mine,
                    at=at,
                    rules=rules,
                )
                mine.append(code)
            except PlatformRuleViolation as refused:
                errcode = refused.errcode
        results.append(ActivationResult(active_code, userid, errcode))
    return BatchOutcome(batch_errcode([r.errcode for r in results]), tuple(results), tuple(events))


# Transfer: L45-L48, D4, D5, D26.


def _transfer_members(
    members: Mapping[str, Member], handover_userid: str, takeover_userid: str, corpid: str
) -> tuple[Member, Member]:
    """701916, then 701019 (the handover may have left; the takeover must be in service)."""
    if handover_userid == takeover_userid:
        raise refusal(701916, "L45", userid=handover_userid)
    handover, takeover = members.get(handover_userid), members.get(takeover_userid)
    if handover is None:
        raise refusal(701019, "L45", userid=handover_userid, corpid=corpid)
    if takeover is None or not takeover.in_service:
        raise refusal(701019, "L45", userid=takeover_userid, corpid=corpid)
    return handover, takeover


def _require_cooldown_over(code: ActivationCode, *, at: datetime, rules: CodeRules) -> None:
    """L47/D4: ``at ≥ last in-service transfer + 30 days`` (inclusive), else 701017."""
    started = code.last_in_service_transfer_at
    if started is None:
        return
    until = started + rules.transfer_cooldown_days * DAY
    if at < until:
        raise refusal(
            701017,
            "L47",
            active_code=code.active_code,
            since=started.isoformat(),
            until=until.isoformat(),
        )


def _transfer_plan(
    moving: Sequence[ActivationCode],
    takeover_codes: Sequence[ActivationCode],
    *,
    corpid: str,
    at: datetime,
    rules: CodeRules,
) -> list[tuple[ActivationCode, ActivationCode | None]]:
    """L46 per type (701018, 701030), then L47 (701017). Changes nothing (D26)."""
    plan: list[tuple[ActivationCode, ActivationCode | None]] = []
    for code in moving:
        previous = same_type_code(takeover_codes, code.type, corpid=corpid)
        if previous is not None and not rules.transfer_merge:
            days = previous.remaining(at).days
            raise refusal(
                701018, "L46", active_code=previous.active_code, type=code.type, days=days
            )
        require_stackable(
            previous, incoming=code.remaining(at), at=at, early=(701018, "L46"), rules=rules
        )
        plan.append((code, previous))
    for code, _ in plan:
        _require_cooldown_over(code, at=at, rules=rules)
    return plan


def _move_code(
    code: ActivationCode, previous: ActivationCode | None, takeover_userid: str, *, at: datetime
) -> list[CodeEvent]:
    """D5: the takeover's old same-type code merges into the code that arrives."""
    code.check_transition(CodeStatus.VALID, at=at, seen_by=code.holder_corpid)
    merged = [] if previous is None else [merge_into(previous, code, at=at)]
    if code.expire_time is not None and merged:
        code.expire_time += timedelta(seconds=merged[0].carried_seconds)
    code.userid, code.awaiting_transfer = takeover_userid, False
    return list[CodeEvent](merged)


def transfer_licences(
    *,
    handover_userid: str,
    takeover_userid: str,
    corpid: str,
    members: Mapping[str, Member],
    handover_codes: Sequence[ActivationCode],
    takeover_codes: Sequence[ActivationCode],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> list[CodeEvent]:
    """One pair of `batch_transfer_license`: every valid type moves, all or nothing (D26)."""
    handover, takeover = _transfer_members(members, handover_userid, takeover_userid, corpid)
    moving = [c for c in handover_codes if c.bound_corpid == corpid and c.is_valid(at)]
    if not moving:
        raise refusal(701016, "L45", userid=handover_userid)
    if not takeover.visible:
        raise refusal(701088, "L45", userid=takeover_userid, corpid=corpid)
    plan = _transfer_plan(moving, takeover_codes, corpid=corpid, at=at, rules=rules)
    in_service = handover.in_service and handover.visible  # L47: only these start a cooldown
    events: list[CodeEvent] = []
    for code, previous in plan:
        events += _move_code(code, previous, takeover_userid, at=at)
        if in_service:
            code.last_in_service_transfer_at = at
        events.append(
            LicenceTransferred(
                code.active_code,
                corpid,
                handover_userid,
                takeover_userid,
                code.type,
                at,
                in_service,
            )
        )
    return events


def batch_transfer(
    pairs: Sequence[tuple[str, str]],
    *,
    codes: Iterable[ActivationCode],
    corpid: str,
    members: Mapping[str, Member],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> BatchOutcome[TransferResult]:
    """`batch_transfer_license` over (handover, takeover) pairs; ``codes``: bound in the corp."""
    require_batch_size(len(pairs), rule="L48")
    held = index_by_member(codes, corpid=corpid)
    results: list[TransferResult] = []
    events: list[CodeEvent] = []
    for handover, takeover in pairs:
        errcode = 0
        mine, theirs = held.get(handover, []), held.get(takeover, [])
        try:
            events += transfer_licences(
                handover_userid=handover,
                takeover_userid=takeover,
                corpid=corpid,
                members=members,
                handover_codes=mine,
                takeover_codes=theirs,
                at=at,
                rules=rules,
            )
        except PlatformRuleViolation as refused:
            errcode = refused.errcode
        if handover != takeover:  # re-index the two members after a move or a merge
            for userid in (handover, takeover):
                held[userid] = [c for c in (*mine, *theirs) if c.userid == userid]
        results.append(TransferResult(handover, takeover, errcode))
    return BatchOutcome(batch_errcode([r.errcode for r in results]), tuple(results), tuple(events))


# Sharing to downstream corps: L49-L51.


def _shareable(code: ActivationCode | None, from_corpid: str, at: datetime) -> bool:
    return (
        code is not None
        and code.owner_corpid == from_corpid
        and code.shared_to is None
        and is_free_in(code, from_corpid, at)
    )


def share_codes(
    active_codes: Sequence[str],
    *,
    codes: Mapping[str, ActivationCode],
    from_corpid: str,
    to_corpid: str,
    linked: bool,
    downstream_headcount: int,
    at: datetime,
) -> BatchOutcome[ShareFailure]:
    """`batch_share_active_code`: 701025/701026, 701918 (whole call), 701919, then 701917."""
    require_batch_size(len(active_codes), rule="L50")
    limit = SHARE_HEADCOUNT_FACTOR * downstream_headcount
    if len(active_codes) > limit:
        raise refusal(
            701918,
            "L50",
            count=len(active_codes),
            headcount=downstream_headcount,
            corpid=to_corpid,
            limit=limit,
        )
    if not linked or from_corpid == to_corpid:
        raise refusal(701919, "L49", corpid=from_corpid, to_corpid=to_corpid)
    failures: list[ShareFailure] = []
    events: list[CodeEvent] = []
    for active_code in active_codes:
        code = codes.get(active_code)
        if code is None or not _shareable(code, from_corpid, at):
            refused = refusal(701917, "L49", active_code=active_code, corpid=from_corpid)
            failures.append(ShareFailure(active_code, 701917, refused.message))
            continue
        code.check_transition(CodeStatus.SHARED, at=at, seen_by=from_corpid)
        code.shared_to = to_corpid
        events.append(CodeShared(active_code, from_corpid, to_corpid, at))
    errcode = 701024 if len(failures) == len(active_codes) else 0
    return BatchOutcome(errcode, tuple(failures), tuple(events))


# Trial and licence info: L57, L58, D2, D9.


@dataclass(frozen=True, slots=True)
class Install:
    """One (corp, suite) install. ``first_install_time`` survives uninstall/reinstall (L57)."""

    corpid: str
    suite_id: str
    first_install_time: datetime
    license_status: int = 1  # D9
    license_check_time: datetime | None = None  # sandbox override
    is_test_corp: bool = False
    migrated: bool = False  # historically migrated apps have no trial (L57)
    trial_end: datetime | None = None  # D2 override, for replaying real data


@dataclass(frozen=True, slots=True)
class LicenceInfo:
    """`get_app_license_info` (L58). Compute it once per install and reuse it for every check."""

    license_status: int
    trail_info: Period | None
    license_check_time: datetime


def trial_window(install: Install, *, rules: CodeRules = DEFAULT_RULES) -> Period | None:
    """L57/D2: 90 days from the first install; none for test corps and migrated apps."""
    if install.is_test_corp or install.migrated:
        return None
    start = install.first_install_time
    return Period(start, install.trial_end or start + rules.trial_days * DAY)


def licence_info(install: Install, *, rules: CodeRules = DEFAULT_RULES) -> LicenceInfo:
    """L58: trail_info only with status 1 and a trial; the check time defaults to its end."""
    trial = trial_window(install, rules=rules)
    default_check = trial.end if trial is not None else install.first_install_time
    return LicenceInfo(
        install.license_status,
        trial if install.license_status == 1 else None,
        install.license_check_time or default_check,
    )


# Interception: L59, L2, L60.


class ApiClass(StrEnum):
    BASIC = "basic"
    MESSAGE = "message"
    INTEROP = "interop"


class AccessReason(StrEnum):
    NO_CHECK = "no_check"
    BEFORE_CHECK_TIME = "before_check_time"
    LICENSED = "licensed"
    AUTO_ACTIVATED = "auto_activated"
    UNLICENSED = "unlicensed"


class AccessDetail(StrEnum):
    IN_TRIAL = "in_trial"
    LICENSED_UNTIL = "licensed_until"
    EXPIRED_ON = "expired_on"
    NEVER_ACTIVATED = "never_activated"
    NOT_VISIBLE = "not_visible"


@dataclass(frozen=True, slots=True)
class AccessDecision:
    allowed: bool
    reason: AccessReason
    detail: AccessDetail | None = None
    active_code: str | None = None
    until: datetime | None = None  # check time / licensed until / expired on

    @property
    def notify_unlicensed(self) -> bool:
        """L60: `unlicensed_notify` is due (never for members outside the visible range)."""
        return (
            self.reason is AccessReason.UNLICENSED and self.detail is not AccessDetail.NOT_VISIBLE
        )


def needed_type(api_class: ApiClass) -> int:
    return INTEROP if api_class is ApiClass.INTEROP else BASIC


def covers(licence_type: int, needed: int) -> bool:
    """L2: interop implies basic; the reverse is false."""
    return licence_type in (needed, INTEROP)


def _best_and_expired(
    held: Iterable[ActivationCode], needed: int, at: datetime
) -> tuple[ActivationCode | None, ActivationCode | None]:
    """The latest-expiring valid code covering ``needed``, and the latest expired one."""
    best: ActivationCode | None = None
    expired: ActivationCode | None = None
    for code in held:
        expire = code.expire_time
        if expire is None or code.merged_into is not None or not covers(code.type, needed):
            continue
        if expire > at:
            if best is None or expire > (best.expire_time or at):
                best = code
        elif expired is None or expire > (expired.expire_time or expire):
            expired = code
    return best, expired


def check_access(
    info: LicenceInfo,
    member: Member | None,
    held: Iterable[ActivationCode],
    *,
    userid: str,
    api_class: ApiClass,
    at: datetime,
) -> AccessDecision:
    """L59, O(len(held)): a valid licence of the needed type (L2) is never intercepted."""
    if member is None:
        raise refusal(701019, "L59", userid=userid, corpid="the install's corp")
    if info.license_status != 1:
        return _NO_CHECK
    if at < info.license_check_time:
        trial = info.trail_info
        detail = AccessDetail.IN_TRIAL if trial is not None and at in trial else None
        reason = AccessReason.BEFORE_CHECK_TIME
        return AccessDecision(
            allowed=True, reason=reason, detail=detail, until=info.license_check_time
        )
    best, expired = _best_and_expired(held, needed_type(api_class), at)
    if best is not None:
        return _decision(best, AccessReason.LICENSED, AccessDetail.LICENSED_UNTIL, allowed=True)
    if not member.visible:
        return _UNLICENSED_NOT_VISIBLE
    if expired is not None:
        return _decision(expired, AccessReason.UNLICENSED, AccessDetail.EXPIRED_ON, allowed=False)
    return _UNLICENSED_NEVER_ACTIVATED


def _decision(
    code: ActivationCode, reason: AccessReason, detail: AccessDetail, *, allowed: bool
) -> AccessDecision:
    return AccessDecision(allowed, reason, detail, code.active_code, code.expire_time)


_NO_CHECK: Final = AccessDecision(allowed=True, reason=AccessReason.NO_CHECK)
_UNLICENSED_NOT_VISIBLE: Final = AccessDecision(
    allowed=False, reason=AccessReason.UNLICENSED, detail=AccessDetail.NOT_VISIBLE
)
_UNLICENSED_NEVER_ACTIVATED: Final = AccessDecision(
    allowed=False, reason=AccessReason.UNLICENSED, detail=AccessDetail.NEVER_ACTIVATED
)


# Auto-activation: L53-L55, D22.


class Scene(IntEnum):
    OPEN_APP = 1
    APP_MESSAGE = 2
    INTEROP_API = 3


class PreviousStatus(IntEnum):
    NONE = 1
    EXPIRING = 2  # unexpired, ≤ 7 days left
    EXPIRED = 3


SCENE_OF: Final[Mapping[ApiClass, Scene]] = {
    ApiClass.BASIC: Scene.OPEN_APP,
    ApiClass.MESSAGE: Scene.APP_MESSAGE,
    ApiClass.INTEROP: Scene.INTEROP_API,
}


@dataclass(frozen=True, slots=True)
class AutoActivation:
    code: ActivationCode
    events: tuple[CodeEvent, ...]  # CodeAutoActivated first, then CodeActivated (+ CodesMerged)


def auto_activation_wanted(
    member: Member,
    held: Iterable[ActivationCode],
    *,
    scene: Scene,
    info: LicenceInfo,
    auto_active_on: bool,
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> bool:
    """L53/L55/D22: switch on, checks on, member in range, at ≥ check − 7 days, ≤ 7 days left."""
    if not auto_active_on or info.license_status != 1 or not (member.in_service and member.visible):
        return False
    if at < info.license_check_time - rules.auto_activate_lead_days * DAY:
        return False
    needed = INTEROP if scene is Scene.INTEROP_API else BASIC
    best, _ = _best_and_expired(held, needed, at)
    return best is None or best.remaining(at) <= AUTO_RENEW_WINDOW


def _pick_for_scene(
    pool: Iterable[ActivationCode], scene: Scene, corpid: str, at: datetime
) -> ActivationCode | None:
    """D22: scene 3 interop only; scenes 1-2 basic, or interop when no basic code is free."""
    free = [c for c in pool if is_free_in(c, corpid, at)]
    if scene is not Scene.INTEROP_API:
        basic = pick_code_by_type(free, corpid=corpid, licence_type=BASIC, at=at)
        if basic is not None:
            return basic
    return pick_code_by_type(free, corpid=corpid, licence_type=INTEROP, at=at)


def auto_activate(
    member: Member,
    held: Sequence[ActivationCode],
    pool: Iterable[ActivationCode],
    *,
    scene: Scene,
    corpid: str,
    info: LicenceInfo,
    auto_active_on: bool,
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> AutoActivation | None:
    """L53/L54: activate a code for the member when wanted; None when nothing happens."""
    wanted = auto_activation_wanted(
        member, held, scene=scene, info=info, auto_active_on=auto_active_on, at=at, rules=rules
    )
    code = _pick_for_scene(pool, scene, corpid, at) if wanted else None
    if code is None:
        return None
    previous = same_type_code(held, code.type, corpid=corpid)  # L53: same type only (L39)
    if previous is not None and max(previous.remaining(at), ZERO) + code.duration > rules.stack_cap:
        return None  # L38 applies; the member keeps the ≤ 7 days it has
    before = PreviousStatus.NONE
    if previous is not None:
        before = PreviousStatus.EXPIRING if previous.is_valid(at) else PreviousStatus.EXPIRED
    events = bind(code, member.userid, corpid=corpid, previous=previous, at=at)
    auto = CodeAutoActivated(
        active_code=code.active_code,
        corpid=corpid,
        userid=member.userid,
        type=code.type,
        scene=int(scene),
        expire_time=code.expire_time or at,
        previous_status=int(before),
        previous_active_code=previous.active_code if previous is not None else None,
        at=at,
    )
    return AutoActivation(code, (auto, *events))


def check_and_auto_activate(
    info: LicenceInfo,
    member: Member | None,
    held: Sequence[ActivationCode],
    *,
    userid: str,
    api_class: ApiClass,
    corpid: str,
    auto_active_on: bool,
    pool: Callable[[], Iterable[ActivationCode]],
    at: datetime,
    rules: CodeRules = DEFAULT_RULES,
) -> tuple[AccessDecision, AutoActivation | None]:
    """The `/v1/wecom/licences/check` decision; ``pool()`` is called only when a code is needed."""
    if member is None:
        raise refusal(701019, "L59", userid=userid, corpid=corpid)
    scene = SCENE_OF[api_class]
    auto = None
    if auto_activation_wanted(
        member, held, scene=scene, info=info, auto_active_on=auto_active_on, at=at, rules=rules
    ):
        auto = auto_activate(
            member,
            held,
            pool(),
            scene=scene,
            corpid=corpid,
            info=info,
            auto_active_on=auto_active_on,
            at=at,
            rules=rules,
        )
    codes = held if auto is None else [*held, auto.code]
    decision = check_access(info, member, codes, userid=userid, api_class=api_class, at=at)
    if auto is not None and decision.reason is AccessReason.LICENSED:
        decision = replace(decision, reason=AccessReason.AUTO_ACTIVATED)
    return decision, auto


# Reminders: L62.


def trial_ending_reminder(
    install: Install, *, rules: CodeRules = DEFAULT_RULES
) -> TrialEnding | None:
    """`trial_ending` at license_check_time − 7 days, for installs with a trial and checks on."""
    info = licence_info(install, rules=rules)
    if info.license_status != 1 or info.trail_info is None:
        return None
    check = info.license_check_time
    return TrialEnding(install.corpid, install.suite_id, check - REMINDER_LEAD, check)


def expiry_reminder_at(code: ActivationCode) -> datetime | None:
    """`licence_expiring` instant of a bound, non-merged code not yet reminded of this expiry."""
    if code.expire_time is None or code.merged_into is not None:
        return None
    if code.expiring_reminder_for == code.expire_time:
        return None
    return code.expire_time - REMINDER_LEAD


def due_expiry_reminders(
    codes: Iterable[ActivationCode], *, until: datetime
) -> list[LicenceExpiring]:
    """Reminders whose instant is ≤ ``until``, timestamped at that instant; marks them sent."""
    due: list[LicenceExpiring] = []
    for code in codes:
        instant = expiry_reminder_at(code)
        if instant is None or instant > until or code.expire_time is None:
            continue
        code.expiring_reminder_for = code.expire_time
        corpid, userid = code.bound_corpid or code.holder_corpid, code.userid or ""
        due.append(
            LicenceExpiring(code.active_code, corpid, userid, code.type, instant, code.expire_time)
        )
    return sorted(due, key=lambda event: event.at)


# Daily run: D33, L56.


def daily_runs(
    after: datetime, until: datetime, *, rules: CodeRules = DEFAULT_RULES
) -> list[datetime]:
    """The daily-run instants (02:00 Asia/Shanghai by default) in (after, until]."""
    runs: list[datetime] = []
    run = next_local_time(after, rules.daily_run_time, SHANGHAI)
    while run <= until:
        runs.append(run)
        run = next_local_time(run, rules.daily_run_time, SHANGHAI)
    return runs


def sweep_awaiting_transfer(
    codes: Iterable[ActivationCode],
    members: Mapping[str, Member],
    *,
    corpid: str,
    auto_active_on: bool,
    at: datetime,
) -> list[CodeEvent]:
    """L33/L56: with auto-activation on, valid codes of members who left or left the visible
    range become status 4; codes whose member is back (or with the switch off) return to 2.
    """
    events: list[CodeEvent] = []
    for code in codes:
        userid = code.userid
        if userid is None or code.bound_corpid != corpid or not code.is_valid(at):
            continue
        member = members.get(userid)
        waiting = auto_active_on and (member is None or not (member.in_service and member.visible))
        if waiting == code.awaiting_transfer:
            continue
        new = CodeStatus.AWAITING_TRANSFER if waiting else CodeStatus.VALID
        code.check_transition(new, at=at, seen_by=corpid)
        code.awaiting_transfer = waiting
        events.append(CodeAwaitingTransferChanged(code.active_code, corpid, userid, waiting, at))
    return events


# Order outcomes on codes: D19, D20.


def invalidate_refunded_codes(codes: Iterable[ActivationCode], *, at: datetime) -> list[CodeEvent]:
    """D19: on refund (order status 5) unbound codes become invalid; bound codes stay valid."""
    events: list[CodeEvent] = []
    for code in codes:
        if code.userid is None and not code.invalidated:
            code.invalidated = True
            events.append(CodeInvalidated(code.active_code, code.order_id, "refunded", at))
    return events


def apply_test_corp_removal(codes: Iterable[ActivationCode], *, at: datetime) -> list[CodeEvent]:
    """D20: unbound codes become invalid; bound codes expire at the removal (status 3)."""
    events: list[CodeEvent] = []
    for code in codes:
        if code.userid is None and not code.invalidated:
            code.invalidated = True
            events.append(CodeInvalidated(code.active_code, code.order_id, "test_corp_removed", at))
        elif code.userid is not None and code.is_valid(at):
            code.check_transition(CodeStatus.EXPIRED, at=at, seen_by=code.holder_corpid)
            code.expire_time = code.expiring_reminder_for = at  # no licence_expiring for it
            events.append(CodeExpiredEarly(code.active_code, code.order_id, at))
    return events


# Read helpers: D27, D30.


@dataclass(frozen=True, slots=True)
class UserActiveInfo:
    active_status: int  # D27: 1 iff the member has a bound code (status 2, 3 or 4)
    codes: tuple[ActivationCode, ...]  # at most one per type (L43), expired ones included


def user_active_info(held: Sequence[ActivationCode], *, corpid: str) -> UserActiveInfo:
    """`get_active_info_by_user`: the member's non-merged code per type."""
    per_type = (same_type_code(held, t, corpid=corpid) for t in sorted(LICENCE_TYPES))
    codes = tuple(c for c in per_type if c is not None)
    return UserActiveInfo(1 if codes else 0, codes)


def valid_codes_bound_in(
    codes: Iterable[ActivationCode], *, corpid: str, licence_type: int, at: datetime
) -> list[ActivationCode]:
    """D30/L77: status-2 codes of that type bound in ``corpid`` (a shared code counts there)."""
    return [
        c
        for c in codes
        if c.type == licence_type
        and c.bound_corpid == corpid
        and c.holder_status(at) is CodeStatus.VALID
    ]
