"""Inference path (R-IN-5): the rules applied to one user's message timeline with one number.

It reproduces what Meta would put in ``pricing`` for each business message: CBP conversations
(R-CBP0-*, R-CBP-*), the customer service window (R-CSW-*), free entry points (R-CBP-9,
R-PMP-5), per-message pricing (R-PMP-*) and the 2026-10-01 changes (R-PMP26-*). It is used for
estimates, for payloads without ``pricing`` and to cross-check the webhook path.
Windows are half-open (D-7) and anchored as D-8 says; times are delivery times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from tollhouse.domain.periods import local_date, month_label, to_unix
from tollhouse.domain.whatsapp.rating import ChargeFacts
from tollhouse.domain.whatsapp.vocabulary import (
    Category,
    PricingModel,
    PricingType,
    RuleSet,
    rule_set_on,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from zoneinfo import ZoneInfo

CSW_LENGTH: Final = timedelta(hours=24)
CONVERSATION_LENGTH: Final = timedelta(hours=24)
FEP_LENGTH: Final = timedelta(hours=72)
FEP_REPLY_WITHIN: Final = timedelta(hours=24)
ERROR_NO_CSW: Final = 131047
SERVICE_FREE_PER_NUMBER: Final = 1000  # D-11


@dataclass(frozen=True, slots=True)
class UserMessage:
    at: datetime
    referral: bool = False  # CTWA ad or Page call-to-action (§4.3)


@dataclass(frozen=True, slots=True)
class BusinessMessage:
    at: datetime  # delivery time (or send time when it fails)
    wamid: str
    template: Category | None = None  # None: a non-template (free-form) message
    failed_error: int | None = None  # Meta's error when it ends `failed` (R-X-3)


TimelineItem = UserMessage | BusinessMessage


@dataclass(frozen=True, slots=True)
class Classified:
    """What the rules say about one business message."""

    wamid: str
    at: datetime
    model: PricingModel | None
    category: Category | None
    pricing_type: PricingType | None
    conversation_id: str | None = None
    opens: bool = False  # CBP: this message opens (and is charged for) a conversation
    failed_error: int | None = None

    @property
    def chargeable(self) -> bool:
        """Is there a charge item (possibly zero) behind this message?"""
        if self.failed_error is not None or self.model is None:
            return False
        return self.opens if self.model is PricingModel.CBP else True

    def facts(self, *, phone_number_id: str, recipient: str) -> ChargeFacts | None:
        if not self.chargeable or self.category is None or self.pricing_type is None:
            return None
        key = self.conversation_id if self.model is PricingModel.CBP else self.wamid
        return ChargeFacts(
            key=key or self.wamid,
            phone_number_id=phone_number_id,
            recipient=recipient,
            ts=to_unix(self.at),
            model=self.model or PricingModel.PMP,
            category=self.category,
            pricing_type=self.pricing_type,
            raw_category=self.category.value,
        )


@dataclass(eq=False)
class ServiceFreeTier:
    """D-11: 1,000 delivered service messages per business number per local month."""

    size: int = SERVICE_FREE_PER_NUMBER
    used: defaultdict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def take(self, phone_number_id: str, month: str) -> bool:
        key = (phone_number_id, month)
        if self.used[key] >= self.size:
            return False
        self.used[key] += 1
        return True


@dataclass(eq=False)
class Thread:
    """CSW, FEP and CBP conversation state of one (business number, user) pair."""

    zone: ZoneInfo
    phone_number_id: str = ""
    service_free_tier: ServiceFreeTier = field(default_factory=ServiceFreeTier)
    csw_end: datetime | None = None
    fep_offer_end: datetime | None = None  # reply before this opens an FEP (R-CBP-9, R-PMP-5)
    fep_end: datetime | None = None
    fep_id: str | None = None
    conversations: dict[Category, tuple[str, datetime]] = field(default_factory=dict)

    def user_message(self, message: UserMessage) -> None:
        self.csw_end = message.at + CSW_LENGTH  # R-CSW-1: opens or refreshes
        if message.referral:
            self.fep_offer_end = message.at + FEP_REPLY_WITHIN

    def business_message(self, message: BusinessMessage) -> Classified:
        at = message.at
        if message.template is None and not _open(self.csw_end, at):
            return _failed(message, ERROR_NO_CSW)  # R-CSW-1, R-CSW-2
        if message.failed_error is not None:
            return _failed(message, message.failed_error)
        rule = rule_set_on(local_date(at, self.zone))
        if _open(self.fep_end, at):
            return self._inside_fep(message, rule)
        if _open(self.fep_offer_end, at):
            return self._open_fep(message, rule)
        self.fep_offer_end = None  # a later reply gets normal charging
        return self._charged_rules(message, rule)

    def _charged_rules(self, message: BusinessMessage, rule: RuleSet) -> Classified:
        if rule in (RuleSet.PMP, RuleSet.PMP26):
            return self._pmp(message, rule)
        if rule is RuleSet.CBP:
            return self._cbp(message)
        return self._cbp0(message)

    def _open_fep(self, message: BusinessMessage, rule: RuleSet) -> Classified:
        self.fep_offer_end = None
        self.fep_end = message.at + FEP_LENGTH
        self.fep_id = f"fep:{message.wamid}"
        cbp = rule not in (RuleSet.PMP, RuleSet.PMP26)
        if cbp:
            self.conversations.clear()  # R-CBP-9: closes all other conversations
        return Classified(
            message.wamid,
            message.at,
            PricingModel.CBP if cbp else PricingModel.PMP,
            Category.REFERRAL_CONVERSION,
            PricingType.FREE_ENTRY_POINT,
            self.fep_id,
            opens=cbp,
        )

    def _inside_fep(self, message: BusinessMessage, rule: RuleSet) -> Classified:
        cbp = rule not in (RuleSet.PMP, RuleSet.PMP26)
        return Classified(
            message.wamid,
            message.at,
            PricingModel.CBP if cbp else PricingModel.PMP,
            Category.REFERRAL_CONVERSION,
            PricingType.FREE_ENTRY_POINT,
            self.fep_id,
        )

    def _cbp(self, message: BusinessMessage) -> Classified:
        at = message.at
        if message.template is None:  # R-CBP-4, R-CBP-5
            if any(end > at for _, end in self.conversations.values()):
                return Classified(message.wamid, at, PricingModel.CBP, Category.SERVICE, None)
            return self._open_conversation(message, Category.SERVICE)
        category = message.template
        known = self.conversations.get(category)
        if known is not None and known[1] > at:  # R-CBP-3
            return Classified(message.wamid, at, PricingModel.CBP, category, None, known[0])
        return self._open_conversation(message, category)

    def _cbp0(self, message: BusinessMessage) -> Classified:
        """R-CBP0-1: one conversation at a time, business- or user-initiated."""
        at = message.at
        for conversation_id, end in self.conversations.values():
            if end > at:
                return Classified(message.wamid, at, PricingModel.CBP, None, None, conversation_id)
        user = _open(self.csw_end, at)
        category = Category.USER_INITIATED if user else Category.BUSINESS_INITIATED
        return self._open_conversation(message, category)

    def _open_conversation(self, message: BusinessMessage, category: Category) -> Classified:
        conversation_id = f"conv:{message.wamid}"
        self.conversations[category] = (conversation_id, message.at + CONVERSATION_LENGTH)
        return Classified(
            message.wamid,
            message.at,
            PricingModel.CBP,
            category,
            PricingType.REGULAR,
            conversation_id,
            opens=True,
        )

    def _pmp(self, message: BusinessMessage, rule: RuleSet) -> Classified:
        at, category = message.at, message.template
        transition = self.conversations.get(Category.UTILITY)
        if category is Category.UTILITY and transition is not None and transition[1] > at:
            return Classified(message.wamid, at, PricingModel.CBP, category, None, transition[0])
        in_csw = _open(self.csw_end, at)
        if category is None:
            return self._service(message, rule)
        if category is Category.UTILITY and in_csw and rule is RuleSet.PMP:
            return _pmp(message, category, PricingType.FREE_CUSTOMER_SERVICE)  # R-PMP-3
        return _pmp(message, category, PricingType.REGULAR)  # R-PMP-1, R-PMP-4, R-PMP26-2

    def _service(self, message: BusinessMessage, rule: RuleSet) -> Classified:
        if rule is RuleSet.PMP:
            return _pmp(message, Category.SERVICE, PricingType.FREE_CUSTOMER_SERVICE)  # R-PMP-2
        month = month_label(message.at, self.zone)
        free = self.service_free_tier.take(self.phone_number_id, month)  # R-PMP26-3
        kind = PricingType.FREE_CUSTOMER_SERVICE if free else PricingType.REGULAR
        return _pmp(message, Category.SERVICE, kind)  # R-PMP26-1


def _open(end: datetime | None, at: datetime) -> bool:
    return end is not None and at < end  # D-7: half-open


def _failed(message: BusinessMessage, error: int) -> Classified:
    return Classified(message.wamid, message.at, None, message.template, None, failed_error=error)


def _pmp(message: BusinessMessage, category: Category, kind: PricingType) -> Classified:
    return Classified(message.wamid, message.at, PricingModel.PMP, category, kind)


def classify(
    items: Iterable[TimelineItem],
    *,
    zone: ZoneInfo,
    phone_number_id: str = "",
    service_free_tier: ServiceFreeTier | None = None,
) -> list[Classified]:
    """Classify the business messages of one thread, in time order (users first on ties)."""
    thread = Thread(zone, phone_number_id, service_free_tier or ServiceFreeTier())
    ordered = sorted(items, key=lambda i: (i.at, isinstance(i, BusinessMessage)))
    result: list[Classified] = []
    for item in ordered:
        if isinstance(item, UserMessage):
            thread.user_message(item)
        else:
            result.append(thread.business_message(item))
    return result
