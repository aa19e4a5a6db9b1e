"""Trial windows, paid terms, `app_status`, access, trial extension and reminders (AE4–AE10,
AE22, AE26, AE38–AE42).

Everything here is a pure function of an `AppState` snapshot and an explicit instant `at`.
Windows are half-open [begin, end) and whole days are 86 400 s (AE8, AE10).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Final

from tollhouse.domain.editions.errors import (
    ExtraTrialUnavailable,
    NotInTrialState,
    OrderTypeNotAllowed,
    TrialDaysInvalid,
    TrialTotalExceeds60,
)
from tollhouse.domain.editions.strategy import (
    DEFAULT_SETTINGS,
    MAX_TRIAL_TOTAL_DAYS,
    EditionSettings,
    ExtraTrial,
)
from tollhouse.domain.periods import DAY_SECONDS, SHANGHAI, Period, local_midnight, require_utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date
    from decimal import Decimal

OVER_HEADCOUNT_GRACE: Final = timedelta(days=7)  # AE41, 91911


class OrderType(StrEnum):
    """`order_type` (AE31): 0 new purchase, 1 expansion, 2 renewal, 3 edition change."""

    NEW_PURCHASE = "new_purchase"
    EXPANSION = "expansion"
    RENEWAL = "renewal"
    EDITION_CHANGE = "edition_change"

    @property
    def wecom_code(self) -> int:
        return _ORDER_TYPE_CODES[self]

    @property
    def is_plan_change(self) -> bool:
        return self in {OrderType.EXPANSION, OrderType.EDITION_CHANGE}


_ORDER_TYPE_CODES: Final = {
    OrderType.NEW_PURCHASE: 0,
    OrderType.EXPANSION: 1,
    OrderType.RENEWAL: 2,
    OrderType.EDITION_CHANGE: 3,
}


class AppStatus(IntEnum):
    """WeCom `app_status` (AE40; 91911, 91912). The values are the platform's codes."""

    NOT_PAID = 0  # 没有付费: not live yet
    TRIAL = 1  # 限时试用
    TRIAL_EXPIRED = 2  # 试用过期
    IN_TERM = 3  # 购买期内
    TERM_EXPIRED = 4  # 购买过期
    UNLIMITED_TRIAL = 5  # 不限时试用: never produced (D24)
    OVER_HEADCOUNT = 6  # 购买期内但人数超标
    OVER_HEADCOUNT_BLOCKED = 7  # 超标且已超过 7 天

    @property
    def allows_access(self) -> bool:
        """Access is allowed in 1, 3, 5, 6 and intercepted in 0, 2, 4, 7 (AE42)."""
        return self in _ACCESS_ALLOWED


_ACCESS_ALLOWED: Final = frozenset(
    {AppStatus.TRIAL, AppStatus.IN_TERM, AppStatus.UNLIMITED_TRIAL, AppStatus.OVER_HEADCOUNT}
)

ACCEPTED_ORDER_TYPES: Final[Mapping[AppStatus, frozenset[OrderType]]] = {
    AppStatus.TRIAL: frozenset({OrderType.NEW_PURCHASE}),
    AppStatus.TRIAL_EXPIRED: frozenset({OrderType.NEW_PURCHASE}),
    AppStatus.TERM_EXPIRED: frozenset({OrderType.NEW_PURCHASE, OrderType.RENEWAL}),
    **{
        status: frozenset({OrderType.EXPANSION, OrderType.RENEWAL, OrderType.EDITION_CHANGE})
        for status in (
            AppStatus.IN_TERM,
            AppStatus.OVER_HEADCOUNT,
            AppStatus.OVER_HEADCOUNT_BLOCKED,
        )
    },
}  # AE22; statuses without an entry (0, 5) accept nothing


def require_order_type_accepted(status: AppStatus, order_type: OrderType) -> None:
    """Raise OrderTypeNotAllowed unless AE22 accepts this order type in this status."""
    accepted = ACCEPTED_ORDER_TYPES.get(status, frozenset())
    if order_type not in accepted:
        raise OrderTypeNotAllowed(
            f"order type {order_type.wecom_code} ({order_type}) is not accepted while app_status "
            f"is {status.value} ({status.name}); "
            f"accepted: {sorted(t.wecom_code for t in accepted)}",
            details={"app_status": status.value, "order_type": order_type.wecom_code},
        )


def whole_days(count: int) -> timedelta:
    """`count` whole days of 86 400 s."""
    return timedelta(seconds=count * DAY_SECONDS)


@dataclass(frozen=True, slots=True)
class Term:
    """One paid window [begin, begin + T days) with its head-count, edition and value V (AE10)."""

    term_id: str
    order_id: str
    edition_id: str
    headcount: int
    cycles: int  # N; 0 for a vendor-priced term of arbitrary days (D26)
    purchased_days: int  # D
    bonus_days: int  # G
    begin: datetime
    value: Decimal  # V: exact fen, after the cap, before rounding (AE29)
    vendor_priced: bool = False

    @property
    def term_days(self) -> int:
        """T = D + G (AE10, D6)."""
        return self.purchased_days + self.bonus_days

    @property
    def end(self) -> datetime:
        return self.begin + whole_days(self.term_days)

    @property
    def period(self) -> Period:
        return Period(self.begin, self.end)

    def covers(self, at: datetime) -> bool:
        return at in self.period

    def unfinished(self, at: datetime) -> bool:
        """In force or not yet begun at `at` (AE28)."""
        return at < self.end

    def remaining_days(self, at: datetime) -> int:
        """R: ⌈(end − at) / 1 day⌉ while in force, T before it begins, 0 after (AE28, D5)."""
        if at < self.begin:
            return self.term_days
        seconds = int((self.end - at).total_seconds())
        return max(0, -(-seconds // DAY_SECONDS))


@dataclass(frozen=True, slots=True)
class Trial:
    """The trial windows of one app (AE4, AE6, AE7): base window, then windows opened later."""

    windows: tuple[Period, ...]
    trial_days: int
    prolonged_days: int = 0
    extra_trial_days: int = 0  # granted; > 0 means the extra trial was claimed

    @property
    def end(self) -> datetime:
        return self.windows[-1].end

    @property
    def total_days(self) -> int:
        """trial_days + granted extra-trial days + all prolong_days (AE7)."""
        return self.trial_days + self.extra_trial_days + self.prolonged_days

    def covers(self, at: datetime) -> bool:
        return any(at in window for window in self.windows)


def open_trial(go_live: datetime, trial_days: int) -> Trial:
    """The trial window [go_live, go_live + trial_days) of a strategy at go-live (AE4)."""
    require_utc(go_live)
    return Trial(
        windows=(Period(go_live, go_live + whole_days(trial_days)),), trial_days=trial_days
    )


def forfeit_trial(trial: Trial, *, at: datetime) -> Trial:
    """End the trial at `at` because a purchase was paid during it (AE22, D16)."""
    kept = tuple(w for w in trial.windows if w.start < at)
    cut = tuple(Period(w.start, min(w.end, at)) for w in kept)
    return replace(trial, windows=cut or trial.windows)


@dataclass(frozen=True, slots=True)
class AppState:
    """What the status of one app (template × corp) depends on."""

    go_live: datetime | None
    trial: Trial | None
    terms: tuple[Term, ...] = ()
    ever_paid: bool = False  # an order of the app ever reached status 1 (AE6)
    active_users: int | None = None  # last reported count (AE41, D23)
    over_since: datetime | None = None  # first report above the limit; None = clock clear


def term_covering(terms: Iterable[Term], at: datetime) -> Term | None:
    """The paid term in force at `at`, if any."""
    return next((term for term in terms if term.covers(at)), None)


def paid_through(terms: Iterable[Term], at: datetime) -> datetime | None:
    """End of the last consecutive paid term from the one in force at `at` (AE40)."""
    ordered = sorted(terms, key=lambda term: term.begin)
    current = term_covering(ordered, at)
    if current is None:
        return None
    end = current.end
    for term in ordered:
        if term.begin <= end < term.end:
            end = term.end
    return end


def app_status(state: AppState, *, at: datetime) -> AppStatus:
    """`app_status` at `at` by the derivation table of AE40 (first matching row wins)."""
    require_utc(at)
    if state.go_live is None or at < state.go_live:
        return AppStatus.NOT_PAID
    term = term_covering(state.terms, at)
    if term is not None:
        return _in_term_status(state, term, at)
    if any(term.end <= at for term in state.terms):
        return AppStatus.TERM_EXPIRED
    if state.trial is not None and state.trial.covers(at):
        return AppStatus.TRIAL
    return AppStatus.TRIAL_EXPIRED


def _in_term_status(state: AppState, term: Term, at: datetime) -> AppStatus:
    count, since = state.active_users, state.over_since
    if count is None or since is None or count <= term.headcount or at < since:
        return AppStatus.IN_TERM
    if at - since < OVER_HEADCOUNT_GRACE:
        return AppStatus.OVER_HEADCOUNT
    return AppStatus.OVER_HEADCOUNT_BLOCKED


@dataclass(frozen=True, slots=True)
class Access:
    """The access check of AE39/AE42 (P17)."""

    allowed: bool
    app_status: AppStatus
    reason: str
    user_limit: int | None
    expired_time: datetime | None


_REASONS: Final = {
    AppStatus.NOT_PAID: "app_not_live",
    AppStatus.TRIAL: "in_trial",
    AppStatus.TRIAL_EXPIRED: "trial_expired",
    AppStatus.IN_TERM: "in_term",
    AppStatus.TERM_EXPIRED: "term_expired",
    AppStatus.UNLIMITED_TRIAL: "unlimited_trial",
    AppStatus.OVER_HEADCOUNT: "over_headcount_grace",
    AppStatus.OVER_HEADCOUNT_BLOCKED: "over_headcount_grace_used",
}


def access(state: AppState, *, at: datetime) -> Access:
    """Whether the app may be used at `at`, with status, limit and expired_time (AE39–AE42)."""
    status = app_status(state, at=at)
    return Access(
        allowed=status.allows_access,
        app_status=status,
        reason=_REASONS[status],
        user_limit=user_limit(state, at=at),
        expired_time=expired_time(state, at=at),
    )


def user_limit(state: AppState, *, at: datetime) -> int | None:
    """Head-count of the term in force, None without one (AE40)."""
    term = term_covering(state.terms, at)
    return None if term is None else term.headcount


def expired_time(state: AppState, *, at: datetime) -> datetime | None:
    """Trial end in states 1 and 2; end of the last consecutive paid term in 3, 4, 6, 7 (AE40)."""
    status = app_status(state, at=at)
    if status in {AppStatus.TRIAL, AppStatus.TRIAL_EXPIRED}:
        return None if state.trial is None else state.trial.end
    if status is AppStatus.TERM_EXPIRED:
        return max(term.end for term in state.terms if term.end <= at)
    return paid_through(state.terms, at)


def report_active_users(state: AppState, *, count: int, as_of: datetime) -> AppState:
    """Record the vendor's active-user count; start or clear the 7-day clock (AE41, D23)."""
    require_utc(as_of)
    limit = user_limit(state, at=as_of)
    over = limit is not None and count > limit
    since = (state.over_since or as_of) if over else None
    return replace(state, active_users=count, over_since=since)


def with_terms(state: AppState, terms: tuple[Term, ...], *, at: datetime) -> AppState:
    """Replace the terms; clear the over-head-count clock if the count now fits (AE41)."""
    updated = replace(state, terms=terms)
    limit = user_limit(updated, at=at)
    count = state.active_users
    if count is None or limit is None or count <= limit:
        return replace(updated, over_since=None)
    return updated


def renewal_begin(terms: Iterable[Term], *, paid_at: datetime) -> datetime:
    """Start of a renewal: end of the last paid term while one is in force, else payment (AE26)."""
    ends = [term.end for term in terms if term.end > paid_at]
    return max(ends, default=paid_at)


def cashier_begin(take_effect_date: date | None, *, paid_at: datetime) -> datetime:
    """Start of a cashier line: 00:00 Shanghai of take_effect_date, or payment if later (D26)."""
    if take_effect_date is None:
        return paid_at
    return max(local_midnight(take_effect_date, SHANGHAI), paid_at)


def prolong_try(
    state: AppState, *, prolong_days: int, at: datetime, max_total_days: int = MAX_TRIAL_TOTAL_DAYS
) -> Trial:
    """`service/prolong_try` (AE7, D15): extend or reopen the trial; all or nothing."""
    status = app_status(state, at=at)
    if status not in {AppStatus.TRIAL, AppStatus.TRIAL_EXPIRED} or state.trial is None:
        raise NotInTrialState(
            f"prolong_try needs app_status 1 or 2; it is {status.value} ({status.name})",
            details={"app_status": status.value},
        )
    if prolong_days < 1:
        raise TrialDaysInvalid(
            f"prolong_days {prolong_days} must be an integer ≥ 1", details={"rule": "AE7"}
        )
    trial = state.trial
    _require_trial_total(trial, prolong_days, max_total_days, rule="AE7")
    if status is AppStatus.TRIAL:
        last = trial.windows[-1]
        windows = (*trial.windows[:-1], Period(last.start, last.end + whole_days(prolong_days)))
    else:
        windows = (*trial.windows, Period(at, at + whole_days(prolong_days)))
    return replace(trial, windows=windows, prolonged_days=trial.prolonged_days + prolong_days)


def claim_extra_trial(state: AppState, extra: ExtraTrial, *, at: datetime) -> Trial:
    """An admin claims the one-time extra trial (AE6, D14); returns the new trial."""
    status = app_status(state, at=at)
    trial = state.trial
    problem = _extra_trial_problem(status, extra, trial, ever_paid=state.ever_paid)
    if problem is not None or trial is None:
        raise ExtraTrialUnavailable(
            f"the extra trial cannot be claimed: {problem}", details={"app_status": status.value}
        )
    _require_trial_total(trial, extra.days, MAX_TRIAL_TOTAL_DAYS, rule="AE6")
    window = Period(at, at + whole_days(extra.days))
    return replace(trial, windows=(*trial.windows, window), extra_trial_days=extra.days)


def _extra_trial_problem(
    status: AppStatus, extra: ExtraTrial, trial: Trial | None, *, ever_paid: bool
) -> str | None:
    if not extra.enabled:
        return "the vendor has not enabled it"
    if trial is None or trial.extra_trial_days > 0:
        return "it was already used for this app"
    if ever_paid:
        return "an order of this app was paid"
    if status is not AppStatus.TRIAL_EXPIRED:
        return f"app_status is {status.value} ({status.name}), not 2 (trial expired)"
    return None


def _require_trial_total(trial: Trial, more: int, limit: int, *, rule: str) -> None:
    total = trial.total_days + more
    if total > limit:
        raise TrialTotalExceeds60(
            f"trial would total {trial.total_days} + {more} = {total} days, above {limit}; "
            f"at most {max(limit - trial.total_days, 0)} more day(s) can be granted",
            details={"rule": rule, "total_days": total, "granted_days": trial.total_days},
        )


class ReminderKind(StrEnum):
    TRIAL = "trial"  # purchase notice
    SERVICE = "service"  # renewal notice


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder for one end date: when it falls due (AE38, D22)."""

    kind: ReminderKind
    end: datetime
    due_at: datetime


def reminder_instant(
    end: datetime, *, opened_at: datetime | None = None, lead_days: int = 7
) -> datetime:
    """end − lead, or `opened_at` if that moment had passed when the window opened or moved."""
    due = end - whole_days(lead_days)
    return due if opened_at is None else max(due, opened_at)


def next_reminder(
    state: AppState, *, at: datetime, settings: EditionSettings = DEFAULT_SETTINGS
) -> Reminder | None:
    """The reminder that belongs to the window in force at `at` (AE38): trial or service end."""
    status = app_status(state, at=at)
    lead = settings.reminder_lead_days
    if status is AppStatus.TRIAL and state.trial is not None:
        end = state.trial.end
        return Reminder(ReminderKind.TRIAL, end, reminder_instant(end, lead_days=lead))
    end_of_paid = paid_through(state.terms, at)
    if end_of_paid is None:
        return None
    return Reminder(
        ReminderKind.SERVICE, end_of_paid, reminder_instant(end_of_paid, lead_days=lead)
    )
