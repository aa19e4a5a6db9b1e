"""The JSON shape of strategies and quotes (spec §4.2, P1 and P4), pure and symmetric.

`strategy_from_json` collects every shape problem (a missing field, a float where fen must be an
integer) as a `Violation` with its path, then `validate_strategy` adds the rule violations, so a
vendor sees every problem of a strategy at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollhouse.domain.editions.errors import StrategyInvalid
from tollhouse.domain.editions.strategy import (
    DEFAULT_SETTINGS,
    Cycle,
    DiscountRow,
    DiscountType,
    DurationDiscount,
    Edition,
    EditionSettings,
    ExtraTrial,
    HeadcountLimits,
    PerPersonRule,
    PriceTier,
    Strategy,
    TieredRule,
    Violation,
    strategy_violations,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tollhouse.domain.editions.pricing import Quote


class _Reader:
    """Reads one JSON object, collecting shape violations instead of stopping at the first."""

    def __init__(self, found: list[Violation]) -> None:
        self.found = found

    def problem(self, path: str, message: str, rule: str = "AE3") -> None:
        self.found.append(Violation("strategy_invalid", rule, path, message))

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.problem(path, f"expected an object, got {type(value).__name__}")
        return {}

    def integer(
        self, raw: dict[str, Any], name: str, path: str, *, required: bool = True, rule: str = "AE3"
    ) -> int | None:
        value = raw.get(name)
        if value is None:
            if required:
                self.problem(f"{path}.{name}", f"{name} is required", rule)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                f"{path}.{name}",
                f"{name} must be an integer (fen and days are whole numbers), got {value!r}",
                rule,
            )
            return None
        return value

    def text(self, raw: dict[str, Any], name: str, path: str) -> str:
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            self.problem(f"{path}.{name}", f"{name} must be a non-empty string, got {value!r}")
            return ""
        return value


def strategy_from_json(
    body: Any, *, settings: EditionSettings = DEFAULT_SETTINGS
) -> tuple[Strategy | None, tuple[Violation, ...]]:
    """(strategy, every violation); the strategy is None when the shape could not be read."""
    found: list[Violation] = []
    read = _Reader(found)
    raw = read.obj(body, "strategy")
    trial_days = read.integer(raw, "trial_days", "strategy", rule="AE4")
    extra = _extra_trial(read, raw.get("extra_trial"))
    editions_raw = raw.get("editions")
    if not isinstance(editions_raw, list):
        read.problem("editions", "editions must be a list of editions")
        editions_raw = []
    editions = tuple(_edition(read, item, f"editions[{i}]") for i, item in enumerate(editions_raw))
    if found or trial_days is None:
        return None, tuple(found)
    strategy = Strategy(trial_days=trial_days, editions=editions, extra_trial=extra)
    return strategy, strategy_violations(strategy, settings=settings)


def parse_strategy(body: Any, *, settings: EditionSettings = DEFAULT_SETTINGS) -> Strategy:
    """The strategy, or StrategyInvalid (or the first rule's error) naming every violation."""
    strategy, violations = strategy_from_json(body, settings=settings)
    if violations or strategy is None:
        raise_violations(violations)
    assert strategy is not None  # noqa: S101 - raise_violations raised otherwise
    return strategy


def raise_violations(violations: tuple[Violation, ...]) -> None:
    from tollhouse.domain.editions.errors import ERRORS_BY_NAME  # noqa: PLC0415

    first = violations[0]
    summary = "; ".join(f"{v.rule} {v.path}: {v.message}" for v in violations)
    raise ERRORS_BY_NAME.get(first.name, StrategyInvalid)(
        f"strategy rejected ({len(violations)} problem(s)): {summary}",
        details={"rule": first.rule, "violations": [v.as_dict() for v in violations]},
    )


def _extra_trial(read: _Reader, value: Any) -> ExtraTrial:
    if value is None:
        return ExtraTrial()
    raw = read.obj(value, "extra_trial")
    enabled = bool(raw.get("enabled", False))
    days = read.integer(raw, "days", "extra_trial", required=False, rule="AE6")
    return ExtraTrial(enabled=enabled, days=7 if days is None else days)


def _edition(read: _Reader, value: Any, path: str) -> Edition:
    raw = read.obj(value, path)
    cycle_raw = raw.get("cycle")
    try:
        cycle = Cycle(str(cycle_raw))
    except ValueError:
        read.problem(f"{path}.cycle", f"cycle must be 'year' or 'month', got {cycle_raw!r}", "AE8")
        cycle = Cycle.YEAR
    limits = None
    if raw.get("headcount_limits") is not None:
        lim = read.obj(raw["headcount_limits"], f"{path}.headcount_limits")
        limits = HeadcountLimits(
            read.integer(lim, "min_users", f"{path}.headcount_limits", required=False, rule="AE18"),
            read.integer(lim, "max_users", f"{path}.headcount_limits", required=False, rule="AE18"),
        )
    cap = None
    if raw.get("price_cap") is not None:
        cap_raw = read.obj(raw["price_cap"], f"{path}.price_cap")
        cap = read.integer(cap_raw, "max_price_fen_per_cycle", f"{path}.price_cap", rule="AE19")
    return Edition(
        edition_id=read.text(raw, "edition_id", path),
        edition_name=str(raw.get("edition_name") or raw.get("edition_id") or ""),
        cycle=cycle,
        rule=_rule(read, raw.get("rule"), f"{path}.rule"),
        basic=bool(raw.get("basic", False)),
        discount=_discount(read, raw.get("discount"), f"{path}.discount"),
        limits=limits,
        max_price_fen_per_cycle=cap,
    )


def _rule(read: _Reader, value: Any, path: str) -> PerPersonRule | TieredRule:
    raw = read.obj(value, path)
    kind = raw.get("type")
    if kind == "per_person":
        return PerPersonRule(read.integer(raw, "unit_price_fen", path, rule="AE11") or 0)
    if kind != "tiered":
        read.problem(
            f"{path}.type", f"rule type must be 'per_person' or 'tiered', got {kind!r}", "AE11"
        )
        return PerPersonRule(1)
    tiers_raw = raw.get("tiers")
    if not isinstance(tiers_raw, list):
        read.problem(f"{path}.tiers", "tiers must be a list", "AE12")
        tiers_raw = []
    tiers = []
    for index, item in enumerate(tiers_raw):
        where = f"{path}.tiers[{index}]"
        tier = read.obj(item, where)
        tiers.append(
            PriceTier(
                first=read.integer(tier, "from", where, rule="AE12") or 0,
                last=read.integer(tier, "to", where, required=False, rule="AE12"),
                fixed_price_fen=read.integer(
                    tier, "fixed_price_fen", where, required=False, rule="AE12"
                ),
                unit_price_fen=read.integer(
                    tier, "unit_price_fen", where, required=False, rule="AE12"
                ),
            )
        )
    return TieredRule(tuple(tiers))


def _discount(read: _Reader, value: Any, path: str) -> DurationDiscount | None:
    if value is None:
        return None
    raw = read.obj(value, path)
    try:
        kind = DiscountType(str(raw.get("type")))
    except ValueError:
        read.problem(
            f"{path}.type",
            f"discount type must be 'price_discount' or 'bonus_days', got {raw.get('type')!r}",
            "AE14",
        )
        return None
    field = "rate_percent" if kind is DiscountType.PRICE_DISCOUNT else "bonus_days"
    rows_raw = raw.get("rows")
    if not isinstance(rows_raw, list):
        read.problem(f"{path}.rows", "rows must be a list", "AE14")
        rows_raw = []
    rows = []
    for index, item in enumerate(rows_raw):
        where = f"{path}.rows[{index}]"
        row = read.obj(item, where)
        rows.append(
            DiscountRow(
                read.integer(row, "min_cycles", where, rule="AE14") or 0,
                read.integer(row, field, where, rule="AE14") or 0,
            )
        )
    return DurationDiscount(kind, tuple(rows))


def strategy_to_json(strategy: Strategy) -> dict[str, Any]:
    """The P1/P2 body of a strategy."""
    return {
        "trial_days": strategy.trial_days,
        "extra_trial": {"enabled": strategy.extra_trial.enabled, "days": strategy.extra_trial.days},
        "editions": [edition_to_json(e) for e in strategy.editions],
    }


def edition_to_json(edition: Edition) -> dict[str, Any]:
    body: dict[str, Any] = {
        "edition_id": edition.edition_id,
        "edition_name": edition.edition_name,
        "basic": edition.basic,
        "cycle": edition.cycle.value,
    }
    rule = edition.rule
    if isinstance(rule, PerPersonRule):
        body["rule"] = {"type": "per_person", "unit_price_fen": rule.unit_price_fen}
    else:
        body["rule"] = {"type": "tiered", "tiers": [_tier_json(t) for t in rule.tiers]}
    if edition.discount is not None:
        field = (
            "rate_percent" if edition.discount.type is DiscountType.PRICE_DISCOUNT else "bonus_days"
        )
        body["discount"] = {
            "type": edition.discount.type.value,
            "rows": [{"min_cycles": r.min_cycles, field: r.value} for r in edition.discount.rows],
        }
    if edition.limits is not None:
        body["headcount_limits"] = {
            "min_users": edition.limits.min_users,
            "max_users": edition.limits.max_users,
        }
    if edition.max_price_fen_per_cycle is not None:
        body["price_cap"] = {"max_price_fen_per_cycle": edition.max_price_fen_per_cycle}
    return body


def _tier_json(tier: PriceTier) -> dict[str, Any]:
    body: dict[str, Any] = {"from": tier.first, "to": tier.last}
    if tier.fixed_price_fen is not None:
        body["fixed_price_fen"] = tier.fixed_price_fen
    if tier.unit_price_fen is not None:
        body["unit_price_fen"] = tier.unit_price_fen
    return body


def quote_to_json(quote: Quote) -> dict[str, Any]:
    """The P4 breakdown (§4.2)."""
    body: dict[str, Any] = {
        "order_type": quote.order_type.wecom_code,
        "edition_id": quote.edition_id,
        "user_count": quote.headcount,
        "amount_fen": quote.amount_fen,
        "order_period": quote.order_period,
        "lines": [
            {
                "kind": line.kind.value,
                "amount_fen": line.amount_fen,
                **({"term_id": line.term_id} if line.term_id else {}),
            }
            for line in quote.lines
        ],
    }
    price = quote.price
    if price is not None:
        discount = None
        if price.discount is not None:
            discount = {"type": price.discount.type.value, "min_cycles": price.discount.min_cycles}
            if price.discount.rate_percent is not None:
                discount["rate_percent"] = price.discount.rate_percent
            if price.discount.bonus_days is not None:
                discount["bonus_days"] = price.discount.bonus_days
        body.update(
            {
                "cycles": price.cycles,
                "cycle_price_fen": price.cycle_price_fen,
                "base_fen": price.base_fen,
                "discount": discount,
                "after_discount": str(price.after_discount),
                "cap_fen": price.cap_fen,
                "after_cap": str(price.after_cap),
                "purchased_days": price.purchased_days,
                "bonus_days": price.bonus_days,
                "term_days": price.term_days,
            }
        )
    else:
        body.update(
            {
                "terms": [
                    {
                        "term_id": t.term_id,
                        "remaining_days": t.remaining_days,
                        "term_days": t.term_days,
                        "value": str(t.value),
                        "new_value": str(t.new_value),
                        "credit": str(t.credit),
                        "new_plan_value": str(t.new_plan_value),
                    }
                    for t in quote.terms
                ],
                "credit_forfeited_fen": quote.credit_forfeited_fen,
                "credit": str(_sum4(t.credit for t in quote.terms)),
            }
        )
    return body


def _sum4(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
