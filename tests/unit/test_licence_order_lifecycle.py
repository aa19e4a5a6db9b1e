"""The licence order lifecycle (L14, L15, D18) as a transition table, checked statefully."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tollhouse.domain.licences import (
    LicenceOrder,
    LicenceRuleViolation,
    OrderStatus,
    OrderType,
    PaymentMethod,
)

T0 = datetime(2024, 5, 6, 2, tzinfo=UTC)
ALLOWED = {
    OrderStatus.AWAITING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    OrderStatus.PAID: {OrderStatus.REFUND_REQUESTED},
    OrderStatus.REFUND_REQUESTED: {OrderStatus.REFUNDED, OrderStatus.REFUND_REFUSED},
}


def an_order(*, test_corp: bool = False) -> LicenceOrder:
    return LicenceOrder("OI1", "wwprov", "wwcorpA", OrderType.BUY, OrderStatus.AWAITING_PAYMENT,
                        500, T0, "admin1", base_count=1, months=1, test_corp=test_corp)


class OrderLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order = an_order(test_corp=True)
        self.seen = [self.order.status]

    @rule(new=st.sampled_from(list(OrderStatus)))
    def attempt(self, new: OrderStatus) -> None:
        target = new
        before = self.order.status
        try:
            event = self.order.transition_to(target, at=T0)
        except LicenceRuleViolation as error:
            assert self.order.status == before
            assert error.errcode in (701083, 701084, 701935)
            return
        assert target in ALLOWED.get(before, set()) or target == OrderStatus.INVALID
        assert (event.old, event.new) == (before, target)
        self.seen.append(target)

    @invariant()
    def invalid_is_terminal(self) -> None:
        if OrderStatus.INVALID in self.seen:
            assert self.order.status == OrderStatus.INVALID


TestOrderLifecycle = OrderLifecycle.TestCase


@pytest.mark.parametrize(
    ("start", "target", "errcode"),
    [
        pytest.param(OrderStatus.PAID, OrderStatus.CANCELLED, 701084, id="licences-W13-O2"),
        pytest.param(OrderStatus.CANCELLED, OrderStatus.REFUND_REQUESTED, 701083, id="L19-unpaid"),
        pytest.param(OrderStatus.REFUNDED, OrderStatus.REFUND_REQUESTED, 701935, id="L15-twice"),
        pytest.param(OrderStatus.PAID, OrderStatus.INVALID, 701084, id="L20-not-a-test-corp"),
    ],
)
def test_L15_impossible_transitions_are_refused_and_change_nothing(start: OrderStatus,
                                                                   target: OrderStatus,
                                                                   errcode: int) -> None:
    order = an_order()
    order.status = start
    with pytest.raises(LicenceRuleViolation) as caught:
        order.transition_to(target, at=T0)
    assert caught.value.errcode == errcode
    assert order.status == start


def test_D18_unpaid_order_reads_as_expired_from_the_ttl_instant() -> None:
    order = an_order()
    assert order.status_at(T0 + timedelta(days=7) - timedelta(seconds=1)) == (
        OrderStatus.AWAITING_PAYMENT)
    assert order.status_at(T0 + timedelta(days=7)) == OrderStatus.EXPIRED
    with pytest.raises(LicenceRuleViolation):
        order.transition_to(OrderStatus.PAID, at=T0 + timedelta(days=7))


def test_L30_payment_method_is_fixed_once_chosen() -> None:
    order = an_order()
    order.fix_payment_method(PaymentMethod.BALANCE)
    with pytest.raises(LicenceRuleViolation) as caught:
        order.fix_payment_method(PaymentMethod.CONSOLE)
    assert caught.value.errcode == 701922
