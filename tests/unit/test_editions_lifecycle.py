"""App editions: orders, refunds, invoices, trial, terms, app_status and reminders
(spec app-editions §2.2, §2.7–§2.11; X1, X10–X14)."""

# ruff: noqa: N802, PLR0917 - test names carry the spec's rule IDs (AE12, X5) in capitals;
# parametrised example tables take one positional argument per column.

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest

from tollhouse.domain.editions import (
    ACCEPTED_ORDER_TYPES,
    AppState,
    AppStatus,
    Cycle,
    DiscountRow,
    DiscountType,
    DurationDiscount,
    Edition,
    ExtraTrial,
    HeadcountLimits,
    Invoice,
    InvoiceStatus,
    InvoiceType,
    Order,
    OrderStatus,
    OrderType,
    PerPersonRule,
    ReminderKind,
    Strategy,
    Term,
    access,
    app_status,
    apply_plan_change,
    cancel_superseded,
    claim_extra_trial,
    decide_refund,
    expired_time,
    forfeit_trial,
    invoice_refusal,
    next_reminder,
    open_trial,
    order_from_quote,
    paytool_status,
    plan_change_quote,
    prolong_try,
    quote,
    refund_refusal,
    refund_refusals,
    reminder_instant,
    report_active_users,
    request_refund,
    require_order_type_accepted,
    term_for_paid_order,
    terms_after_refund,
    with_terms,
)
from tollhouse.domain.editions.errors import (
    ExtraTrialUnavailable,
    InvalidStatusTransition,
    InvoiceExists,
    NotInTrialState,
    OrderTypeNotAllowed,
    RefundAlreadyRequested,
    RefundWindowClosed,
    TrialTotalExceeds60,
)
from tollhouse.domain.periods import from_unix, to_unix

STD_Y = Edition(
    "std-y", "Standard", Cycle.YEAR, PerPersonRule(19_900), basic=True,
    discount=DurationDiscount(
        DiscountType.PRICE_DISCOUNT, (DiscountRow(2, 90), DiscountRow(3, 80))
    ),
    limits=HeadcountLimits(5, 500), max_price_fen_per_cycle=5_000_000,
)  # fmt: skip
STRATEGY = Strategy(trial_days=30, editions=(STD_Y,), extra_trial=ExtraTrial(enabled=True, days=7))


def u(seconds: int) -> datetime:
    return from_unix(seconds)


def paid_order(
    order_type: OrderType,
    *,
    cycles: int,
    paid_at: datetime,
    terms: tuple[Term, ...] = (),
    headcount: int = 37,
    order_id: str = "o1",
) -> tuple[Order, Term]:
    """Quote, create, pay and open the term of a new purchase or renewal."""
    priced = quote(STD_Y, order_type=order_type, headcount=headcount, cycles=cycles)
    order = order_from_quote(priced, order_id=order_id, app_id="app-1", at=paid_at)
    order.pay(at=paid_at, pay_channel=1)
    term = term_for_paid_order(order, priced, term_id=f"t-{order_id}", terms=terms, paid_at=paid_at)
    return order, term


def in_term(*terms: Term, go_live: int = 1_700_000_000) -> AppState:
    trial = open_trial(u(go_live), 30)
    return AppState(go_live=u(go_live), trial=trial, terms=terms, ever_paid=True)


# --- orders (AE24, AE32) -------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), list(product(OrderStatus, OrderStatus)))
def test_AE32_only_the_listed_order_status_moves_are_allowed(
    old: OrderStatus, new: OrderStatus
) -> None:
    allowed = {("unpaid", "paid"), ("unpaid", "cancelled"), ("unpaid", "payment_expired"),
               ("paid", "refund_requested"), ("refund_requested", "refunded"),
               ("refund_requested", "refund_rejected")}  # fmt: skip
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    order.status = old
    if (old.value, new.value) in allowed:
        event = order.transition_to(new, at=u(1_709_258_400))
        assert (event.old, event.new) == (old, new)
    else:
        with pytest.raises(InvalidStatusTransition):
            order.transition_to(new, at=u(1_709_258_400))


def test_AE32_order_status_codes_are_0_to_6() -> None:
    assert [s.wecom_code for s in OrderStatus] == [0, 1, 2, 3, 4, 5, 6]


def test_AE24_an_unpaid_order_expires_exactly_24_hours_after_creation() -> None:
    created = u(1_709_258_400)
    priced = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=37, cycles=1)
    order = order_from_quote(priced, order_id="o1", app_id="app-1", at=created)
    late = order_from_quote(priced, order_id="o2", app_id="app-1", at=created)
    # one second before the deadline payment works; at the deadline it is refused
    order.pay(at=created + timedelta(hours=24, seconds=-1), pay_channel=2)
    with pytest.raises(InvalidStatusTransition):
        late.pay(at=created + timedelta(hours=24), pay_channel=1)
    assert order.status is OrderStatus.PAID
    assert late.status is OrderStatus.PAYMENT_EXPIRED


def test_AE24_creating_an_order_cancels_the_older_unpaid_one() -> None:
    priced = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=37, cycles=1)
    older = order_from_quote(priced, order_id="o1", app_id="app-1", at=u(1_709_258_400))
    events = cancel_superseded([older], at=u(1_709_258_500))
    assert older.status is OrderStatus.CANCELLED
    assert [e.new for e in events] == [OrderStatus.CANCELLED]


# --- terms created at payment (AE10, AE22, AE26) -------------------------------------------


def test_AE10_X1_the_new_purchase_term_runs_365_days_from_payment() -> None:
    order, term = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    assert order.amount_fen == 736_300
    assert (to_unix(term.begin), to_unix(term.end)) == (1_709_258_400, 1_740_794_400)
    assert term.value == Decimal(736_300)


@pytest.mark.parametrize(
    ("created", "paid", "cycles", "amount", "begin", "end"),
    [
        pytest.param(1_740_013_200, 1_740_013_200, 1, 736_300, 1_740_794_400, 1_772_330_400,
                     id="editions-X10a"),
        pytest.param(1_740_013_200, 1_740_013_200, 2, 1_325_340, 1_740_794_400, 1_803_866_400,
                     id="editions-X10b"),
        pytest.param(1_741_587_600, 1_741_587_600, 1, 736_300, 1_741_587_600, 1_773_123_600,
                     id="editions-X10c"),
    ],
)  # fmt: skip
def test_AE26_a_renewal_starts_at_the_end_of_the_term_in_force_or_at_payment_after_expiry(
    created: int, paid: int, cycles: int, amount: int, begin: int, end: int
) -> None:
    _, first = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    state = in_term(first)
    require_order_type_accepted(app_status(state, at=u(created)), OrderType.RENEWAL)
    order, renewal = paid_order(OrderType.RENEWAL, cycles=cycles, paid_at=u(paid),
                                terms=(first,), order_id="o2")  # fmt: skip
    assert order.amount_fen == amount
    assert (to_unix(renewal.begin), to_unix(renewal.end)) == (begin, end)


def test_AE38_X10a_after_the_renewal_the_next_reminder_is_for_the_renewed_end() -> None:
    _, first = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    _, renewal = paid_order(OrderType.RENEWAL, cycles=1, paid_at=u(1_740_013_200),
                            terms=(first,), order_id="o2")  # fmt: skip
    before = next_reminder(in_term(first), at=u(1_740_013_200))
    after = next_reminder(in_term(first, renewal), at=u(1_740_013_200))
    assert before is not None
    assert to_unix(before.due_at) == 1_740_189_600  # 2025-02-22 10:00, superseded
    assert after is not None
    assert after.kind is ReminderKind.SERVICE
    assert to_unix(after.end) == 1_772_330_400
    assert to_unix(after.due_at) == 1_771_725_600


def test_AE39_X10c_the_app_is_intercepted_from_the_term_end_until_renewal() -> None:
    _, first = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    state = in_term(first)
    assert app_status(state, at=u(1_740_794_399)) is AppStatus.IN_TERM
    check = access(state, at=u(1_740_794_400))
    assert (check.app_status, check.allowed) == (AppStatus.TERM_EXPIRED, False)
    assert check.expired_time == u(1_740_794_400)
    _, renewal = paid_order(OrderType.RENEWAL, cycles=1, paid_at=u(1_741_587_600),
                            terms=(first,), order_id="o2")  # fmt: skip
    assert app_status(in_term(first, renewal), at=u(1_741_587_600)) is AppStatus.IN_TERM


@pytest.mark.parametrize(("status", "order_type"), list(product(AppStatus, OrderType)))
def test_AE22_which_order_types_each_app_status_accepts(
    status: AppStatus, order_type: OrderType
) -> None:
    table = {0: set(), 1: {0}, 2: {0}, 3: {1, 2, 3}, 4: {0, 2}, 5: set(), 6: {1, 2, 3},
             7: {1, 2, 3}}  # fmt: skip
    accepted = order_type.wecom_code in table[status.value]
    assert (order_type in ACCEPTED_ORDER_TYPES.get(status, frozenset())) is accepted
    if not accepted:
        with pytest.raises(OrderTypeNotAllowed):
            require_order_type_accepted(status, order_type)


def test_AE22_D16_a_purchase_during_the_trial_forfeits_the_rest_of_it() -> None:
    trial = open_trial(u(1_717_120_800), 30)
    cut = forfeit_trial(trial, at=u(1_718_000_000))
    assert cut.end == u(1_718_000_000)


# --- refunds (AE35, AE36) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        pytest.param(1_747_294_200, None, id="editions-X11a"),
        pytest.param(1_747_467_000, "refund_window_closed", id="editions-X11b"),
        pytest.param(1_747_380_600, None, id="editions-X11-last-instant"),
        pytest.param(1_747_380_601, "refund_window_closed", id="editions-X11-one-second-late"),
    ],
)
def test_AE35_a_refund_may_be_asked_within_240_hours_of_payment(
    asked: int, refusal: str | None
) -> None:
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    found = refund_refusal(order, orders=[order], invoices=[], at=u(asked))
    assert (None if found is None else found.name) == refusal
    if refusal is None:
        request_refund(order, orders=[order], invoices=[], at=u(asked))
        assert order.status is OrderStatus.REFUND_REQUESTED
    else:
        with pytest.raises(RefundWindowClosed):
            request_refund(order, orders=[order], invoices=[], at=u(asked))


def test_AE35_every_failed_refund_condition_is_named_with_its_rule() -> None:
    # given an old, invoiced order that is no longer the app's last one
    old, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    newer, _ = paid_order(OrderType.RENEWAL, cycles=1, paid_at=u(1_746_600_000), order_id="o2")
    invoice = Invoice("i1", "o1", InvoiceType.VAT, "ACME", "91310000", u(1_746_520_000))
    invoice.transition_to(InvoiceStatus.ISSUED_ELECTRONIC, at=u(1_746_530_000))
    # when
    found = refund_refusals(old, orders=[old, newer], invoices=[invoice], at=u(1_747_467_000))
    # then
    assert [(r.name, r.rule) for r in found] == [
        ("refund_window_closed", "AE35"),
        ("order_invoiced", "AE35"),
        ("not_last_order", "AE35"),
    ]
    assert (
        refund_refusal(newer, orders=[old, newer], invoices=[invoice], at=u(1_746_600_001)) is None
    )


def test_AE36_one_refund_request_per_order_and_unpaid_orders_cannot_be_refunded() -> None:
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    request_refund(order, orders=[order], invoices=[], at=u(1_746_516_700))
    with pytest.raises(RefundAlreadyRequested):
        request_refund(order, orders=[order], invoices=[], at=u(1_746_516_800))
    decide_refund(order, approve=False, at=u(1_746_516_900))
    assert order.status is OrderStatus.REFUND_REJECTED
    found = refund_refusal(order, orders=[order], invoices=[], at=u(1_746_517_000))
    assert found is not None
    assert found.name == "refund_already_requested"
    priced = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=37, cycles=1)
    unpaid = order_from_quote(priced, order_id="o9", app_id="app-1", at=u(1_746_516_600))
    found = refund_refusal(unpaid, orders=[unpaid], invoices=[], at=u(1_746_516_700))
    assert found is not None
    assert (found.name, found.rule) == ("invalid_status_transition", "AE32")


def test_AE35_a_refund_request_cancels_a_pending_invoice_request() -> None:
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    invoice = Invoice("i1", "o1", InvoiceType.NORMAL, "ACME", "91310000", u(1_746_520_000))
    events = request_refund(order, orders=[order], invoices=[invoice], at=u(1_746_530_000))
    assert invoice.status is InvoiceStatus.CANCELLED
    assert len(events) == 2


def test_AE36_a_refunded_purchase_removes_its_term_and_a_refunded_expansion_restores_it() -> None:
    order, term = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    assert terms_after_refund(order, (term,)) == ()
    change = plan_change_quote(STRATEGY, [term], order_type=OrderType.EXPANSION,
                               at=u(1_709_300_000), headcount=50)  # fmt: skip
    expansion = order_from_quote(change, order_id="o2", app_id="app-1", at=u(1_709_300_000))
    expansion.pay(at=u(1_709_300_100), pay_channel=1)
    (expanded,) = apply_plan_change(expansion, change, (term,))
    assert (expanded.headcount, expanded.value, expanded.end) == (50, Decimal(995_000), term.end)
    assert (expansion.begin_time, expansion.end_time) == (u(1_709_300_100), term.end)
    assert terms_after_refund(expansion, (expanded,)) == (term,)


# --- invoices (AE34) -----------------------------------------------------------------------


def test_AE34_one_live_invoice_per_paid_order_and_a_new_one_after_cancellation() -> None:
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    assert invoice_refusal(order, []) is None
    invoice = Invoice("i1", "o1", InvoiceType.VAT, "ACME", "91310000", u(1_746_520_000))
    refusal = invoice_refusal(order, [invoice])
    assert refusal is not None
    assert refusal.name == "invoice_exists"
    with pytest.raises(InvoiceExists):
        raise refusal.to_error()
    invoice.transition_to(InvoiceStatus.CANCELLED, at=u(1_746_530_000))
    assert invoice_refusal(order, [invoice]) is None
    with pytest.raises(InvalidStatusTransition):
        invoice.transition_to(InvoiceStatus.ISSUED_PAPER, at=u(1_746_540_000))


def test_AE34_an_unpaid_order_cannot_be_invoiced() -> None:
    priced = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=37, cycles=1)
    unpaid = order_from_quote(priced, order_id="o1", app_id="app-1", at=u(1_746_516_600))
    refusal = invoice_refusal(unpaid, [])
    assert refusal is not None
    assert refusal.rule == "AE34"


def test_D25_paytool_status_splits_paid_by_the_refund_window() -> None:
    order, _ = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_746_516_600))
    assert paytool_status(order, at=u(1_747_380_600)) == 2
    assert paytool_status(order, at=u(1_747_380_601)) == 7


# --- trial, prolong_try, extra trial (AE4–AE7) ---------------------------------------------


def test_AE4_AE5_AE38_AE39_X14_trial_end_reminder_interception_and_purchase() -> None:
    # given go-live 2024-05-31 10:00 with a 30-day trial, never paid
    go_live = u(1_717_120_800)
    state = AppState(go_live=go_live, trial=open_trial(go_live, 30))
    # then
    assert state.trial is not None
    assert to_unix(state.trial.end) == 1_719_712_800
    reminder = next_reminder(state, at=go_live)
    assert reminder is not None
    assert (reminder.kind, to_unix(reminder.due_at)) == (ReminderKind.TRIAL, 1_719_108_000)
    assert access(state, at=u(1_719_712_799)).app_status is AppStatus.TRIAL
    assert access(state, at=u(1_719_712_799)).allowed is True
    blocked = access(state, at=u(1_719_712_800))
    assert (blocked.app_status, blocked.allowed) == (AppStatus.TRIAL_EXPIRED, False)
    # when the purchase is paid
    order, term = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_719_889_200))
    paid = replace(state, terms=(term,), ever_paid=True)
    # then
    assert order.amount_fen == 736_300
    assert (to_unix(term.begin), to_unix(term.end)) == (1_719_889_200, 1_751_425_200)
    assert app_status(paid, at=u(1_719_889_200)) is AppStatus.IN_TERM


def test_AE7_X13_prolong_try_stops_at_60_days_in_total() -> None:
    go_live = u(1_711_936_800)
    state = AppState(go_live=go_live, trial=open_trial(go_live, 30))
    at = u(1_713_600_000)
    with pytest.raises(TrialTotalExceeds60):
        prolong_try(state, prolong_days=31, at=at)
    trial = prolong_try(state, prolong_days=30, at=at)
    assert to_unix(trial.end) == 1_717_120_800
    assert trial.total_days == 60
    state = replace(state, trial=trial)
    with pytest.raises(TrialTotalExceeds60):
        prolong_try(state, prolong_days=1, at=at)
    with pytest.raises(TrialTotalExceeds60) as caught:
        claim_extra_trial(state, ExtraTrial(enabled=True, days=7), at=u(1_717_120_800))
    assert caught.value.details["rule"] == "AE6"


def test_AE7_D15_prolonging_an_expired_trial_starts_at_the_call() -> None:
    go_live = u(1_711_936_800)
    state = AppState(go_live=go_live, trial=open_trial(go_live, 30))
    call = u(1_714_528_800 + 86_400)
    trial = prolong_try(state, prolong_days=5, at=call)
    assert trial.end == call + timedelta(days=5)
    assert app_status(replace(state, trial=trial), at=call) is AppStatus.TRIAL


def test_AE7_prolong_try_is_refused_outside_the_trial_states() -> None:
    _, term = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    with pytest.raises(NotInTrialState):
        prolong_try(in_term(term), prolong_days=1, at=u(1_709_258_400))


def test_AE6_the_extra_trial_is_claimed_once_only_after_the_trial_and_never_after_paying() -> None:
    go_live = u(1_711_936_800)
    state = AppState(go_live=go_live, trial=open_trial(go_live, 30))
    extra = ExtraTrial(enabled=True, days=7)
    with pytest.raises(ExtraTrialUnavailable):
        claim_extra_trial(state, extra, at=u(1_713_600_000))  # still in trial
    claim = u(1_714_528_800 + 3_600)
    trial = claim_extra_trial(state, extra, at=claim)
    claimed = replace(state, trial=trial)
    assert trial.end == claim + timedelta(days=7)
    assert app_status(claimed, at=claim) is AppStatus.TRIAL
    for blocked in (claimed, replace(state, ever_paid=True)):
        with pytest.raises(ExtraTrialUnavailable):
            claim_extra_trial(blocked, extra, at=claim + timedelta(days=8))
    with pytest.raises(ExtraTrialUnavailable):
        claim_extra_trial(state, ExtraTrial(enabled=False), at=claim)


# --- over head-count and status (AE40–AE42) ------------------------------------------------


def test_AE41_X12_over_head_count_is_allowed_for_7_days_then_intercepted() -> None:
    # given a term in force for 200 people and a report of 210 on 2024-09-02 09:00
    term = Term("t1", "o1", "std-y", 200, 1, 365, 0, u(1_720_000_000), Decimal(3_980_000))
    state = report_active_users(in_term(term), count=210, as_of=u(1_725_238_800))
    # then
    assert app_status(state, at=u(1_725_840_000)) is AppStatus.OVER_HEADCOUNT
    assert access(state, at=u(1_725_840_000)).allowed is True
    assert app_status(state, at=u(1_725_843_600)) is AppStatus.OVER_HEADCOUNT_BLOCKED
    assert access(state, at=u(1_725_843_600)).allowed is False
    # a later report above the limit does not restart the clock
    again = report_active_users(state, count=205, as_of=u(1_725_500_000))
    assert again.over_since == u(1_725_238_800)
    # a report of 198 clears it
    cleared = report_active_users(state, count=198, as_of=u(1_725_508_800))
    assert cleared.over_since is None
    assert app_status(cleared, at=u(1_725_843_600)) is AppStatus.IN_TERM
    # a paid expansion to 210 clears it too
    expanded = with_terms(state, (replace(term, headcount=210),), at=u(1_725_508_800))
    assert expanded.over_since is None
    assert app_status(expanded, at=u(1_725_843_600)) is AppStatus.IN_TERM


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(AppStatus(code), code in {1, 3, 5, 6}) for code in range(8)],
)
def test_AE42_access_is_allowed_in_1_3_5_6_only(status: AppStatus, allowed: bool) -> None:
    assert status.allows_access is allowed


def test_AE40_D24_an_app_not_live_has_status_0() -> None:
    state = AppState(go_live=None, trial=None)
    assert access(state, at=u(1_700_000_000)).app_status is AppStatus.NOT_PAID
    assert access(state, at=u(1_700_000_000)).allowed is False


def test_AE40_expired_time_is_the_end_of_the_last_consecutive_paid_term() -> None:
    _, first = paid_order(OrderType.NEW_PURCHASE, cycles=1, paid_at=u(1_709_258_400))
    _, renewal = paid_order(OrderType.RENEWAL, cycles=2, paid_at=u(1_740_013_200),
                            terms=(first,), order_id="o2")  # fmt: skip
    state = in_term(first, renewal)
    assert to_unix(expired_time(state, at=u(1_740_013_200)) or u(0)) == 1_803_866_400
    assert access(state, at=u(1_740_013_200)).user_limit == 37


def test_AE38_a_reminder_whose_moment_has_passed_falls_due_at_once() -> None:
    end = u(1_719_712_800)
    opened = end - timedelta(days=3)
    assert reminder_instant(end, opened_at=opened) == opened
    assert to_unix(reminder_instant(end)) == 1_719_108_000


def test_the_editions_package_exports_every_public_name_of_its_modules() -> None:
    import tollhouse.domain.editions as package  # noqa: PLC0415 - the test is about the package
    from tollhouse.domain.editions import orders, pricing, strategy, terms  # noqa: PLC0415

    public = {
        name
        for module in (orders, pricing, strategy, terms)
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    assert public <= set(package.__all__)
