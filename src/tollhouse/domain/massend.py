"""WeChat Official Account mass send: quotas, request rules, dispatch planning, job lifecycle.

Rules M1–M25 and decisions D1–D21 of ``spec/wechat-mass-send.md``. Everything here is pure: the
caller passes ``at`` (an aware instant) and the current counter values; the atomic counters live
behind the ``QuotaCounter`` port (``adapters/counters``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple, NewType
from zoneinfo import ZoneInfo

from tollhouse.domain.errors import PlatformRuleViolation, Refused
from tollhouse.domain.periods import (
    Period,
    add_months,
    local_date,
    local_midnight,
    month_label,
    natural_day,
    require_utc,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

AppId = NewType("AppId", str)
OpenId = NewType("OpenId", str)
MsgId = NewType("MsgId", int)

# -- platform numbers ---------------------------------------------------------------------------

FOLLOWER_MONTHLY_CAP: Final = 4  # M2 (since 2014-04-15, M25; 1 before)
FOLLOWER_MONTHLY_CAP_BEFORE_2014_04_15: Final = 1  # M25
HISTORY_MONTHLY_CAP: Final = 4  # M4
HISTORY_DAILY_CAP: Final = 1  # M5, D18
SUB_DAILY_CAP: Final = 1  # M7
MASS_RATE_PER_MINUTE: Final = 60  # M10
CLEAR_QUOTA_MONTHLY_LIMIT: Final = 10  # M12
PREVIEW_WXNAME_DAILY_LIMIT: Final = 100  # M18
OPENID_LIST_MIN: Final = 2  # M14
OPENID_LIST_MAX: Final = 10_000  # M14
USER_GET_PAGE: Final = 10_000  # M21
ADVANCED_API_DAILY_LIMIT_2014: Final = 10  # M11, seed 004
CONFIRMATION_WINDOW_S: Final = 1800  # M16, D9
CLIENTMSGID_MAX_BYTES: Final = 64  # M15
CLIENTMSGID_WINDOW_S: Final = 86_400  # M15
CLIENTMSGID_RETRY_S: Final = 60  # §4.5
DEFAULT_ZONE: Final = "Asia/Shanghai"  # M9

SENDALL_PATH: Final = "/cgi-bin/message/mass/sendall"
SEND_PATH: Final = "/cgi-bin/message/mass/send"
USER_GET_PATH: Final = "/cgi-bin/user/get"
TOKEN_PATH: Final = "/cgi-bin/token"  # noqa: S105 - a URL path, not a secret
MASS_PATHS: Final = frozenset({SENDALL_PATH, SEND_PATH})  # M10, D13
DEFAULT_API_DAILY_LIMITS: Final[Mapping[str, int]] = {
    SENDALL_PATH: 100,
    SEND_PATH: 100,
    USER_GET_PATH: 500,
    TOKEN_PATH: 2000,
}  # M11, §4.6
REALSPEED: Final[Mapping[int, int]] = {0: 80, 1: 60, 2: 45, 3: 30, 4: 10}  # M17, ×10,000/min
REVIEW_FAILURE_CODES: Final = frozenset(
    {10001, 20001, 20002, 20004, 20006, 20008, 20013, 21000, 22000}
)  # M23
DELETABLE_MSGTYPES: Final = frozenset({"mpnews", "mpvideo"})  # M19

ERRMSG: Final[Mapping[int, str]] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40032: "invalid openid list size",
    40059: "invalid msg id",
    40125: "invalid appsecret",
    40130: "invalid openid list size, at least two openid",
    40132: "invalid username",
    40152: "invalid group id",
    41001: "access_token missing",
    42001: "access_token expired",
    44004: "empty content",
    47001: "data format error",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45028: "has no masssend quota",
    45065: "clientmsgid exist",
    45066: "same clientmsgid retry too fast",
    45056: "too many tags",
    45057: "can't delete the tag that has too many fans",
    45058: "can't modify sys tag",
    45059: "fans has too many tags",
    45067: "clientmsgid size out of limit",
    45083: "the speed out of range",
    45084: "No speed message",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    48001: "api unauthorized",
    48006: "forbid to clear quota because of reaching the limit",
    76021: "cgi_path not found",
    89504: "正在等管理员确认，请耐心等待",
}  # §4.4, §5.6: errmsg prefixes


# -- errors -------------------------------------------------------------------------------------


class MassSendViolation(PlatformRuleViolation):
    """A WeChat mass-send rule with its errcode; ``platform_errmsg`` is the platform's text."""

    code = "wechat.rule"

    def __init__(
        self,
        errcode: int,
        message: str,
        *,
        rule: str,
        kind: str = "invalid",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            errcode, message, rule=rule, kind=kind, namespace="wechat", details=details
        )

    @property
    def platform_errmsg(self) -> str:
        return ERRMSG.get(self.errcode, self.message)


class SendCapReached(MassSendViolation):
    code = "wechat.send_cap_reached"

    def __init__(self, counter: str, used: int, cap: int, period: str, *, rule: str) -> None:
        super().__init__(
            45028,
            f"{counter} cap {cap} reached for {period} ({used} used); wait for the next period",
            rule=rule,
            kind="conflict",
        )


class DailyApiQuotaReached(MassSendViolation):
    code = "wechat.daily_api_quota_reached"

    def __init__(self, what: str, used: int, limit: int, day: str, *, rule: str) -> None:
        super().__init__(
            45009,
            f"{what}: daily limit {limit} reached on {day} ({used} used); "
            "wait for 00:00 or use clear_quota",
            rule=rule,
            kind="conflict",
        )


class MinuteQuotaReached(MassSendViolation):
    code = "wechat.minute_quota_reached"

    def __init__(self, calls: int, limit: int, minute: str) -> None:
        super().__init__(
            45011,
            f"call {calls} in minute {minute} is over {limit} per minute; retry next minute",
            rule="M10",
            kind="conflict",
        )


class ClearQuotaLimitReached(MassSendViolation):
    code = "wechat.clear_quota_limit_reached"

    def __init__(self, used: int, limit: int, month: str) -> None:
        super().__init__(
            48006,
            f"clear_quota used {used} times in {month}; the limit is {limit} per month",
            rule="M12",
            kind="conflict",
        )


class DuplicateClientMsgId(MassSendViolation):
    code = "wechat.clientmsgid_duplicate"

    def __init__(self, errcode: int, clientmsgid: str, msg_id: int, age_s: float) -> None:
        super().__init__(
            errcode,
            f"clientmsgid {clientmsgid!r} was accepted {age_s:.0f} s ago as msg_id {msg_id}",
            rule="M15",
            kind="conflict",
            details={"msg_id": msg_id},
        )
        self.msg_id = msg_id


class InvalidMassRequest(MassSendViolation):
    code = "wechat.invalid_request"


class JobNotFound(MassSendViolation):
    code = "wechat.invalid_msg_id"

    def __init__(self, msg_id: object, reason: str) -> None:
        super().__init__(40059, f"msg_id {msg_id}: {reason}", rule="M19", kind="not_found")


class InvalidJobTransition(Refused):
    code = "wechat.job_invalid_transition"

    def __init__(self, msg_id: int, state: JobState, target: JobState) -> None:
        super().__init__(f"job {msg_id} is {state}; it cannot become {target}")


def _invalid(errcode: int, message: str, rule: str) -> InvalidMassRequest:
    return InvalidMassRequest(errcode, message, rule=rule)


# -- accounts and settings ----------------------------------------------------------------------


class AccountType(StrEnum):
    SERVICE = "service"
    SUBSCRIPTION = "subscription"


class ChannelKind(StrEnum):
    MP_WEB = "mp_web"
    API = "api"
    ISV = "api:isv"


@dataclass(frozen=True, slots=True)
class Channel:
    """Who started a send: the MP website, the account's server, or a third-party platform."""

    kind: ChannelKind
    component_appid: str | None = None

    @property
    def label(self) -> str:
        """``mp_web``, ``api`` or ``api:isv:<component_appid>`` (§1.2)."""
        return f"api:isv:{self.component_appid}" if self.kind is ChannelKind.ISV else self.kind

    @property
    def is_api(self) -> bool:
        return self.kind is not ChannelKind.MP_WEB  # M13: ISV calls use the account's quotas


MP_WEB: Final = Channel(ChannelKind.MP_WEB)
API: Final = Channel(ChannelKind.API)


@dataclass(frozen=True, slots=True)
class MassSendSettings:
    """Per-account settings with the engine defaults of §4.6."""

    account_type: AccountType
    timezone: str = DEFAULT_ZONE
    follower_monthly_cap: int | None = FOLLOWER_MONTHLY_CAP
    history_monthly_cap: int | None = HISTORY_MONTHLY_CAP
    history_daily_cap: int | None = HISTORY_DAILY_CAP
    sub_daily_cap: int | None = None
    sub_openid_send: bool = False
    mass_rate_per_minute: int = MASS_RATE_PER_MINUTE
    api_daily_limits: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_API_DAILY_LIMITS)
    )
    preview_wxname_daily_limit: int = PREVIEW_WXNAME_DAILY_LIMIT
    clear_quota_monthly_limit: int = CLEAR_QUOTA_MONTHLY_LIMIT
    clientmsgid_max_bytes: int = CLIENTMSGID_MAX_BYTES
    clientmsgid_window_s: int = CLIENTMSGID_WINDOW_S
    clientmsgid_retry_s: int = CLIENTMSGID_RETRY_S
    clientmsgid_default: str = "digest"  # or "none"
    former_follower_in_list: str = "filter"  # or "reject" (D15)
    mass_protection: bool = False
    confirmation_window_s: int = CONFIRMATION_WINDOW_S
    review_mode: str = "auto_pass"  # or "manual"
    delivery_mode: str = "instant"  # or "paced"
    speed: int = 0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def default_settings(account_type: AccountType) -> MassSendSettings:
    """§4.6: service accounts have follower and history caps; subscription accounts a day cap."""
    if account_type is AccountType.SERVICE:
        return MassSendSettings(account_type)
    return MassSendSettings(
        account_type,
        follower_monthly_cap=None,
        history_monthly_cap=None,
        history_daily_cap=None,
        sub_daily_cap=SUB_DAILY_CAP,
    )


# -- periods (§3) -------------------------------------------------------------------------------


def day_label(at: datetime, zone: ZoneInfo) -> str:
    """'YYYY-MM-DD' of the natural day in ``zone`` (M8, D1)."""
    return local_date(at, zone).isoformat()


def minute_label(at: datetime, zone: ZoneInfo) -> str:
    """'YYYY-MM-DDTHH:MM' of the local calendar minute (M10)."""
    require_utc(at)
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def month_period(month: str, zone: ZoneInfo) -> Period:
    """The natural month named 'YYYY-MM' in ``zone``, as a UTC period."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    return Period(local_midnight(first, zone), local_midnight(add_months(first, 1), zone))


def counter_expires_at(month: str, zone: ZoneInfo) -> datetime:
    """Start of the month two months later: month data stays queryable for a month (§6.3)."""
    year, number = (int(part) for part in month.split("-"))
    return local_midnight(add_months(date(year, number, 1), 2), zone)


@dataclass(frozen=True, slots=True)
class FollowerQuota:
    """The admin view of one follower's month (§5.7, X17); instants are local to the zone."""

    month: str
    cap: int
    received: int
    period_start: datetime
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(self.cap - self.received, 0)


def follower_quota(month: str, received: int, *, cap: int, zone: ZoneInfo) -> FollowerQuota:
    period = month_period(month, zone)
    return FollowerQuota(
        month, cap, received, period.start.astimezone(zone), period.end.astimezone(zone)
    )


# -- targets and requests (§5.3) ----------------------------------------------------------------

SENDALL_MSGTYPES: Final = frozenset({"mpnews", "text", "voice", "image", "mpvideo", "wxcard"})
MSGTYPE_ALIASES: Final[Mapping[str, str]] = {"video": "mpvideo"}  # send and preview only


@dataclass(frozen=True, slots=True)
class ToAll:
    scope: str = "all"


@dataclass(frozen=True, slots=True)
class ToTag:
    tag_id: int

    @property
    def scope(self) -> str:
        return f"tag:{self.tag_id}"


@dataclass(frozen=True, slots=True)
class ToOpenIds:
    """An OpenID list: ``openids`` are distinct, in first-seen order (D3); ``raw_count`` as sent."""

    openids: tuple[OpenId, ...]
    raw_count: int

    @property
    def scope(self) -> str:
        joined = ",".join(sorted(self.openids))
        return "openids:" + hashlib.sha256(joined.encode()).hexdigest()


Target = ToAll | ToTag | ToOpenIds


@dataclass(frozen=True, slots=True)
class MassMessage:
    msgtype: str  # canonical: "video" is stored as "mpvideo"
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A validated ``sendall`` or ``send`` body (§4.3 step 5)."""

    endpoint: str  # "sendall" | "send"
    target: Target
    message: MassMessage
    send_ignore_reprint: int
    clientmsgid: str | None

    @property
    def is_to_all(self) -> bool:
        return isinstance(self.target, ToAll)


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """A validated ``preview`` body: ``towxname`` wins over ``touser`` (M18)."""

    touser: OpenId | None
    towxname: str | None
    message: MassMessage


def validate_sendall(body: Mapping[str, Any], *, settings: MassSendSettings) -> SendRequest:
    """§4.3 step 5 for ``sendall``: msgtype, payload, filter/tag_id, clientmsgid length."""
    message = parse_message(body, allowed=SENDALL_MSGTYPES, aliases={})
    target = _parse_filter(body.get("filter"))
    return SendRequest(
        "sendall", target, message, _reprint(body), _clientmsgid(body, settings=settings)
    )


def validate_send(body: Mapping[str, Any], *, settings: MassSendSettings) -> SendRequest:
    """§4.3 step 5 for ``send``: msgtype, payload, touser size (M14), clientmsgid length."""
    message = parse_message(body, allowed=SENDALL_MSGTYPES, aliases=MSGTYPE_ALIASES)
    target = parse_openid_list(body.get("touser"))
    return SendRequest(
        "send", target, message, _reprint(body), _clientmsgid(body, settings=settings)
    )


def validate_preview(body: Mapping[str, Any]) -> PreviewRequest:
    message = parse_message(body, allowed=SENDALL_MSGTYPES, aliases=MSGTYPE_ALIASES)
    towxname, touser = body.get("towxname"), body.get("touser")
    if isinstance(towxname, str) and towxname:
        return PreviewRequest(None, towxname, message)
    if isinstance(touser, str) and touser:
        return PreviewRequest(OpenId(touser), None, message)
    raise _invalid(40003, "preview needs touser (an OpenID) or towxname", "M18")


def parse_message(
    body: Mapping[str, Any], *, allowed: Collection[str], aliases: Mapping[str, str]
) -> MassMessage:
    raw = body.get("msgtype")
    if not isinstance(raw, str) or (msgtype := aliases.get(raw, raw)) not in allowed:
        raise _invalid(40008, f"msgtype {raw!r} is not one of {sorted(allowed)}", "M19")
    payload = _payload(body, raw, msgtype)
    _check_payload(msgtype, payload)
    return MassMessage(msgtype, payload)


def _payload(body: Mapping[str, Any], raw: str, msgtype: str) -> Mapping[str, Any]:
    keys = [raw, msgtype, *(("images",) if msgtype == "image" else ())]
    for key in keys:
        if isinstance(payload := body.get(key), dict):
            return {"images": payload} if key == "images" else payload
    raise _invalid(40008, f"msgtype {raw!r} needs a {raw!r} object", "M19")


def _check_payload(msgtype: str, payload: Mapping[str, Any]) -> None:
    if msgtype == "text":
        content = payload.get("content", "")
        if not isinstance(content, str):
            raise _invalid(40008, f"text.content must be a string, not {content!r}", "M19")
        if not content:
            raise _invalid(44004, "text.content is empty", "M19")
    elif msgtype == "wxcard":
        if not payload.get("card_id"):
            raise _invalid(40008, "wxcard.card_id is missing or empty", "M19")
    elif "images" in payload:
        ids = payload["images"].get("media_ids")
        if not isinstance(ids, list) or not ids or not all(ids):
            raise _invalid(40007, f"images.media_ids {ids!r} is empty", "M19")
    elif not payload.get("media_id"):
        raise _invalid(40007, f"{msgtype}.media_id is missing or empty", "M19")


def _parse_filter(raw: object) -> ToAll | ToTag:
    flt: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    if flt.get("is_to_all") is True:
        return ToAll()
    tag_id = flt.get("tag_id", flt.get("group_id"))
    if isinstance(tag_id, str) and tag_id.isdigit():
        tag_id = int(tag_id)
    if not isinstance(tag_id, int) or isinstance(tag_id, bool):
        raise _invalid(40152, f"filter.tag_id {tag_id!r} is required when is_to_all is false", "M6")
    return ToTag(tag_id)


def parse_openid_list(raw: object) -> ToOpenIds:
    """M14 on the raw length (40130 below 2, 40032 above 10,000); duplicates collapse (D3)."""
    items = raw if isinstance(raw, list) else []
    if len(items) < OPENID_LIST_MIN:
        raise _invalid(40130, f"touser has {len(items)} OpenIDs; send needs at least 2", "M14")
    if len(items) > OPENID_LIST_MAX:
        raise _invalid(40032, f"touser has {len(items)} OpenIDs; the limit is 10,000", "M14")
    if not all(isinstance(item, str) and item for item in items):
        raise _invalid(40003, "touser must hold OpenID strings", "M14")
    return ToOpenIds(tuple(OpenId(o) for o in dict.fromkeys(items)), len(items))


def _reprint(body: Mapping[str, Any]) -> int:
    value = body.get("send_ignore_reprint", 0)
    if value not in (0, 1):  # True and False compare equal to 1 and 0
        raise _invalid(40008, f"send_ignore_reprint {value!r} is not 0 or 1", "M15")
    return int(value)


def _clientmsgid(body: Mapping[str, Any], *, settings: MassSendSettings) -> str | None:
    value = body.get("clientmsgid")
    if value is None or value == "":
        return None
    text = str(value)
    if len(text.encode()) > settings.clientmsgid_max_bytes:
        raise _invalid(
            45067,
            f"clientmsgid is {len(text.encode())} bytes; the limit is "
            f"{settings.clientmsgid_max_bytes}",
            "M15",
        )
    return text


def check_tag_exists(target: Target, known_tags: Collection[int]) -> None:
    """40152 for a tag send to a tag the account does not have (§5.3)."""
    if isinstance(target, ToTag) and target.tag_id not in known_tags:
        raise _invalid(40152, f"tag {target.tag_id} does not exist on this account", "M6")


# -- clientmsgid (M15, §4.5) --------------------------------------------------------------------


def default_clientmsgid(message: MassMessage, target: Target) -> str:
    """SHA-256 hex of canonical JSON {content: {msgtype: payload}, msgtype, scope} (§4.5)."""
    canonical = json.dumps(
        {
            "content": {message.msgtype: message.payload},
            "msgtype": message.msgtype,
            "scope": target.scope,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def dedupe_key(request: SendRequest, *, settings: MassSendSettings) -> str | None:
    """The clientmsgid to check and register: explicit, the default digest, or none."""
    if request.clientmsgid is not None:
        return request.clientmsgid
    if settings.clientmsgid_default == "none":
        return None
    return default_clientmsgid(request.message, request.target)


@dataclass(frozen=True, slots=True)
class RegisteredClientMsgId:
    clientmsgid: str
    msg_id: int
    submitted_at: datetime


def check_clientmsgid(
    earlier: RegisteredClientMsgId | None, *, at: datetime, settings: MassSendSettings
) -> None:
    """45066 within 60 s, 45065 (with msg_id) within 24 h, free at 24 h and after (§4.5)."""
    if earlier is None:
        return
    age = (at - earlier.submitted_at).total_seconds()
    if 0 <= age < settings.clientmsgid_retry_s:
        raise DuplicateClientMsgId(45066, earlier.clientmsgid, earlier.msg_id, age)
    if 0 <= age < settings.clientmsgid_window_s:
        raise DuplicateClientMsgId(45065, earlier.clientmsgid, earlier.msg_id, age)


# -- account send caps (M4, M5, M7; D5, D6, D19) ------------------------------------------------


class CapCounter(StrEnum):
    HIST_M = "hist_m"
    HIST_D = "hist_d"
    SUB_D = "sub_d"


@dataclass(frozen=True, slots=True)
class AccountUsage:
    """Account-cap counters for the periods containing ``at``."""

    hist_m: int = 0
    hist_d: int = 0
    sub_d: int = 0

    def of(self, counter: CapCounter) -> int:
        return int(getattr(self, counter.value))


def is_history_send(channel: Channel, target: Target, *, account_type: AccountType) -> bool:
    """History send: every mp_web send and every API sendall to all (§1.2, M4)."""
    if account_type is not AccountType.SERVICE:
        return False
    return channel.kind is ChannelKind.MP_WEB or isinstance(target, ToAll)


def check_account_allowed(request: SendRequest, settings: MassSendSettings) -> None:
    """D19: subscription accounts may not send by OpenID list unless enabled (48001)."""
    if (
        settings.account_type is AccountType.SUBSCRIPTION
        and isinstance(request.target, ToOpenIds)
        and not settings.sub_openid_send
    ):
        raise MassSendViolation(
            48001, "subscription accounts cannot send by OpenID list", rule="D19", kind="conflict"
        )


def counters_to_reserve(
    channel: Channel, target: Target, *, settings: MassSendSettings
) -> tuple[CapCounter, ...]:
    """Which account counters an accepted send takes (D5, D6, D19)."""
    if settings.account_type is AccountType.SUBSCRIPTION:
        return (CapCounter.SUB_D,)
    if not is_history_send(channel, target, account_type=settings.account_type):
        return ()  # M6: tag and list sends have no per-account count
    counters = [CapCounter.HIST_M]
    if settings.history_daily_cap is not None:
        counters.append(CapCounter.HIST_D)
    return tuple(counters)


def check_account_caps(
    channel: Channel,
    target: Target,
    usage: AccountUsage,
    *,
    at: datetime,
    settings: MassSendSettings,
) -> tuple[CapCounter, ...]:
    """§4.3 step 7: 45028 at any account cap; else the counters to reserve at acceptance."""
    reserve = counters_to_reserve(channel, target, settings=settings)
    for counter in reserve:
        cap = _cap_of(counter, settings)
        if cap is not None and usage.of(counter) >= cap:
            raise SendCapReached(
                _CAP_NAMES[counter],
                usage.of(counter),
                cap,
                _period_label(counter, at, settings.zone),
                rule=_CAP_RULES[counter],
            )
    return reserve


_CAP_NAMES: Final = {
    CapCounter.HIST_M: "history send",
    CapCounter.HIST_D: "daily history send",
    CapCounter.SUB_D: "subscription daily send",
}
_CAP_RULES: Final = {CapCounter.HIST_M: "M4", CapCounter.HIST_D: "M5", CapCounter.SUB_D: "M7"}


def _cap_of(counter: CapCounter, settings: MassSendSettings) -> int | None:
    return {
        CapCounter.HIST_M: settings.history_monthly_cap,
        CapCounter.HIST_D: settings.history_daily_cap,
        CapCounter.SUB_D: settings.sub_daily_cap,
    }[counter]


def _period_label(counter: CapCounter, at: datetime, zone: ZoneInfo) -> str:
    return month_label(at, zone) if counter is CapCounter.HIST_M else day_label(at, zone)


# -- API call limits (M10, M11, M12, M18; D13, D14) ---------------------------------------------


def check_minute_limit(calls_this_minute: int, *, at: datetime, settings: MassSendSettings) -> None:
    """D13: the call was counted first; call 61 and later in the minute get 45011."""
    if calls_this_minute > settings.mass_rate_per_minute:
        raise MinuteQuotaReached(
            calls_this_minute, settings.mass_rate_per_minute, minute_label(at, settings.zone)
        )


def check_daily_api_quota(
    cgi_path: str, used_today: int, *, at: datetime, settings: MassSendSettings
) -> None:
    """M11, D14: 45009 once today's calls reached the limit (the rejected call is not counted)."""
    limit = settings.api_daily_limits.get(cgi_path)
    if limit is not None and used_today >= limit:
        raise DailyApiQuotaReached(
            cgi_path, used_today, limit, day_label(at, settings.zone), rule="M11"
        )


def check_preview_wxname(used_today: int, *, at: datetime, settings: MassSendSettings) -> None:
    """M18, D7: towxname previews are limited per day (45009); touser previews are not."""
    limit = settings.preview_wxname_daily_limit
    if used_today >= limit:
        raise DailyApiQuotaReached(
            "towxname preview", used_today, limit, day_label(at, settings.zone), rule="M18"
        )


def check_clear_quota(used_this_month: int, *, at: datetime, settings: MassSendSettings) -> None:
    """M12: the 11th clear_quota in a natural month gets 48006."""
    if used_this_month >= settings.clear_quota_monthly_limit:
        raise ClearQuotaLimitReached(
            used_this_month, settings.clear_quota_monthly_limit, month_label(at, settings.zone)
        )


def quota_get(cgi_path: str, used_today: int, *, settings: MassSendSettings) -> dict[str, Any]:
    """The ``openapi/quota/get`` body (§5.2); 76021 for a path without a daily quota."""
    limit = settings.api_daily_limits.get(cgi_path)
    if limit is None:
        raise MassSendViolation(76021, f"cgi_path {cgi_path!r} has no quota", rule="M11")
    body: dict[str, Any] = {
        "errcode": 0,
        "errmsg": "ok",
        "quota": {"daily_limit": limit, "used": used_today, "remain": max(limit - used_today, 0)},
    }
    if cgi_path in MASS_PATHS:
        body["rate_limit"] = {"call_count": settings.mass_rate_per_minute, "refresh_second": 60}
    return body


# -- speed (M17) --------------------------------------------------------------------------------


def check_speed(speed: object, *, awaiting_confirmation: bool) -> int:
    """``speed/set``: 45084 missing, 45083 out of range, 89504 while a job awaits confirmation."""
    if speed is None:
        raise MassSendViolation(45084, "speed is missing", rule="M17")
    if not isinstance(speed, int) or isinstance(speed, bool) or speed not in REALSPEED:
        raise MassSendViolation(45083, f"speed {speed!r} is not 0 to 4", rule="M17")
    if awaiting_confirmation:
        raise MassSendViolation(
            89504, "a job awaits admin confirmation", rule="M16", kind="conflict"
        )
    return speed


def paced_minutes(recipients: int, speed: int) -> int:
    """D20: ⌈recipients ÷ (realspeed × 10,000)⌉ minutes."""
    return math.ceil(recipients / (REALSPEED[speed] * 10_000))


# -- dispatch planning (D2, D3, D4, D15; M3, M20) -----------------------------------------------


class FollowerStatus(StrEnum):
    FOLLOWING = "following"
    FORMER = "former_follower"  # unsubscribed; the OpenID stays the same (D16)
    NEVER = "never_followed"


class FilterReason(StrEnum):
    FORMER_FOLLOWER = "former_follower"
    RECEIVE_OFF = "receive_off"
    AT_CAP = "at_cap"


class Candidate(NamedTuple):
    """A resolved recipient: status, receive flag and dense counter ordinal (if imported).

    A NamedTuple rather than a frozen dataclass: a 10,000-recipient send builds 10,000 of them
    on the hot path, and tuples are built several times faster.
    """

    openid: OpenId
    status: FollowerStatus
    receive_off: bool = False
    ordinal: int | None = None
    delivery_fault: bool = False  # sandbox flag (D4)


@dataclass(frozen=True, slots=True)
class Screening:
    """Recipients after filters (1) former follower and (2) receive-off, before the cap (D3)."""

    total: int
    eligible: tuple[Candidate, ...]
    filtered: Mapping[FilterReason, tuple[OpenId, ...]]


def screen(candidates: Sequence[Candidate], *, settings: MassSendSettings) -> Screening:
    """D3, D15: drop duplicates, then filter former followers and receive-off in order.

    A never-followed OpenID rejects the whole call with 40003, as does a former follower when
    ``former_follower_in_list`` is ``reject``.
    """
    unique = list({c.openid: c for c in reversed(candidates)}.values())[::-1]
    former: list[OpenId] = []
    receive_off: list[OpenId] = []
    eligible: list[Candidate] = []
    for candidate in unique:
        if candidate.status is FollowerStatus.NEVER:
            raise _invalid(40003, f"{candidate.openid} never followed this account", "D15")
        if candidate.status is FollowerStatus.FORMER:
            if settings.former_follower_in_list == "reject":
                raise _invalid(40003, f"{candidate.openid} is no longer a follower", "D15")
            former.append(candidate.openid)
        elif candidate.receive_off:
            receive_off.append(candidate.openid)
        else:
            eligible.append(candidate)
    filtered = {
        FilterReason.FORMER_FOLLOWER: tuple(former),
        FilterReason.RECEIVE_OFF: tuple(receive_off),
    }
    return Screening(len(unique), tuple(eligible), filtered)


def split_by_cap(
    ids: Iterable[OpenId], used: Mapping[OpenId, int], *, cap: int | None
) -> tuple[list[OpenId], list[OpenId]]:
    """Filter (3) of D3: (attempted, at cap). The atomic version is ``QuotaCounter.consume``."""
    attempted: list[OpenId] = []
    at_cap: list[OpenId] = []
    for openid in dict.fromkeys(ids):
        (at_cap if cap is not None and used.get(openid, 0) >= cap else attempted).append(openid)
    return attempted, at_cap


@dataclass(frozen=True, slots=True)
class JobCounts:
    """MASSSENDJOBFINISH counts (M20, §5.4): FilterCount = SentCount + ErrorCount."""

    total: int
    filter_count: int
    sent: int
    error: int

    def __post_init__(self) -> None:
        if self.filter_count != self.sent + self.error or self.filter_count > self.total:
            raise ValueError(self)


NO_COUNTS: Final = JobCounts(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    counts: JobCounts
    attempted: tuple[OpenId, ...]
    filtered: Mapping[FilterReason, tuple[OpenId, ...]]

    def breakdown(self) -> dict[str, int]:
        return {reason.value: len(self.filtered.get(reason, ())) for reason in FilterReason}


def dispatch_outcome(screening: Screening, at_cap: Collection[OpenId]) -> DispatchOutcome:
    """Combine the screening with the counter's refusals; faulted recipients count as errors."""
    refused = set(at_cap)
    attempted = [c for c in screening.eligible if c.openid not in refused]
    errors = sum(1 for c in attempted if c.delivery_fault)
    counts = JobCounts(screening.total, len(attempted), len(attempted) - errors, errors)
    filtered = {
        **screening.filtered,
        FilterReason.AT_CAP: tuple(c.openid for c in screening.eligible if c.openid in refused),
    }
    return DispatchOutcome(counts, tuple(c.openid for c in attempted), filtered)


def chunks(items: Sequence[Candidate], *, size: int = OPENID_LIST_MAX) -> list[Sequence[Candidate]]:
    """S3: ordered chunks of ≤ 10,000 recipients, each charged atomically."""
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- job lifecycle (§4.1) -----------------------------------------------------------------------


class JobState(StrEnum):
    ACCEPTED = "accepted"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    IN_REVIEW = "in_review"
    DISPATCHED = "dispatched"
    FINISHED = "finished"
    FAILED = "failed"
    DELETED = "deleted"


TRANSITIONS: Final[Mapping[JobState, frozenset[JobState]]] = {
    JobState.ACCEPTED: frozenset(
        {JobState.AWAITING_CONFIRMATION, JobState.IN_REVIEW, JobState.DISPATCHED, JobState.FAILED}
    ),
    JobState.AWAITING_CONFIRMATION: frozenset(
        {JobState.IN_REVIEW, JobState.DISPATCHED, JobState.FAILED}
    ),
    JobState.IN_REVIEW: frozenset({JobState.DISPATCHED, JobState.FAILED}),
    JobState.DISPATCHED: frozenset({JobState.FINISHED}),  # S3: no voiding after a charge
    JobState.FINISHED: frozenset({JobState.DELETED}),
    JobState.FAILED: frozenset(),
    JobState.DELETED: frozenset(),
}

MSG_STATUS: Final[Mapping[JobState, str]] = {
    JobState.ACCEPTED: "SENDING",
    JobState.AWAITING_CONFIRMATION: "SENDING",
    JobState.IN_REVIEW: "SENDING",
    JobState.DISPATCHED: "SENDING",
    JobState.FINISHED: "SEND_SUCCESS",
    JobState.FAILED: "SEND_FAIL",
    JobState.DELETED: "DELETE",
}


@dataclass(eq=False)
class MassJob:
    """An accepted mass send (a ``msg_id``) and its lifecycle."""

    msg_id: int
    appid: AppId
    channel: Channel
    target: Target
    message: MassMessage
    submitted_at: datetime
    reserved: tuple[CapCounter, ...] = ()
    state: JobState = JobState.ACCEPTED
    timeline: list[tuple[JobState, datetime]] = field(default_factory=list)
    counts: JobCounts = NO_COUNTS
    review_error: int | None = None
    deleted_articles: set[int] = field(default_factory=set)

    def transition_to(self, target: JobState, *, at: datetime) -> None:
        require_utc(at)
        if target not in TRANSITIONS[self.state]:
            raise InvalidJobTransition(self.msg_id, self.state, target)
        self.state = target
        self.timeline.append((target, at.astimezone(UTC)))

    @property
    def msg_status(self) -> str:
        return MSG_STATUS[self.state]

    @property
    def voided(self) -> bool:
        """D9: a failed job releases its account reservations; follower counters were untouched."""
        return self.state is JobState.FAILED

    @property
    def event_status(self) -> str:
        """M20, M23: ``send success``, ``send fail`` or ``err(<code>)``."""
        if self.state is JobState.FAILED:
            return f"err({self.review_error})" if self.review_error else "send fail"
        return "send success"

    def confirmation_deadline(self, settings: MassSendSettings) -> datetime:
        return self.submitted_at + timedelta(seconds=settings.confirmation_window_s)

    def dispatch(self, outcome: DispatchOutcome, *, at: datetime) -> None:
        self.transition_to(JobState.DISPATCHED, at=at)
        self.counts = outcome.counts

    def fail(self, *, at: datetime, review_error: int | None = None) -> None:
        self.transition_to(JobState.FAILED, at=at)
        self.review_error = review_error
        self.counts = NO_COUNTS


def next_state_after_acceptance(target: Target, *, settings: MassSendSettings) -> JobState:
    """M16 protection for sends to all, then manual review, else straight to dispatch."""
    if settings.mass_protection and isinstance(target, ToAll):
        return JobState.AWAITING_CONFIRMATION
    return next_state_after_confirmation(settings=settings)


def next_state_after_confirmation(*, settings: MassSendSettings) -> JobState:
    return JobState.IN_REVIEW if settings.review_mode == "manual" else JobState.DISPATCHED


def confirm(job: MassJob, *, approve: bool, at: datetime, settings: MassSendSettings) -> JobState:
    """Admin decision on an awaiting job (M16); 409 if not awaiting or past the window."""
    if job.state is not JobState.AWAITING_CONFIRMATION or at >= job.confirmation_deadline(settings):
        raise InvalidJobTransition(job.msg_id, job.state, JobState.DISPATCHED)
    if not approve:
        job.fail(at=at)
        return job.state
    following = next_state_after_confirmation(settings=settings)
    if following is JobState.IN_REVIEW:
        job.transition_to(following, at=at)
    return following  # DISPATCHED: the caller charges recipients, then calls job.dispatch


def expire_confirmation(job: MassJob, *, at: datetime, settings: MassSendSettings) -> bool:
    """D9: an unconfirmed job fails at submission + 30 min; returns whether it failed now."""
    deadline = job.confirmation_deadline(settings)
    if job.state is JobState.AWAITING_CONFIRMATION and at >= deadline:
        job.fail(at=deadline)
        return True
    return False


def review(job: MassJob, *, passed: bool, code: int | None, at: datetime) -> JobState:
    """M23: a failed review ends the job with ``err(code)``; a pass leads to dispatch."""
    if job.state is not JobState.IN_REVIEW:
        raise InvalidJobTransition(job.msg_id, job.state, JobState.DISPATCHED)
    if passed:
        return JobState.DISPATCHED
    if code not in REVIEW_FAILURE_CODES:
        raise _invalid(
            40008, f"review code {code!r} is not one of {sorted(REVIEW_FAILURE_CODES)}", "M23"
        )
    job.fail(at=at, review_error=code)
    return job.state


def delete_job(job: MassJob, *, article_idx: int, at: datetime) -> None:
    """M19, D8: API sends of mpnews/mpvideo that finished; nothing is refunded."""
    if not job.channel.is_api:
        raise JobNotFound(job.msg_id, "website sends cannot be deleted through the API")
    if job.state is not JobState.FINISHED:
        raise JobNotFound(job.msg_id, f"the job is {job.msg_status}, not SEND_SUCCESS")
    if job.message.msgtype not in DELETABLE_MSGTYPES:
        raise JobNotFound(job.msg_id, f"{job.message.msgtype} messages cannot be deleted")
    if article_idx == 0:
        job.transition_to(JobState.DELETED, at=at)
    else:
        job.deleted_articles.add(article_idx)


def natural_day_of(at: datetime, settings: MassSendSettings) -> Period:
    return natural_day(at, settings.zone)
