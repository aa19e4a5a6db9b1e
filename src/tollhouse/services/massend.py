"""Use cases of WeChat Official Account mass send (spec ``wechat-mass-send.md``).

Every command opens one unit of work, reads the account's clock (``tenant_now``), calls the pure
domain (``domain/massend.py``) and commits. The per-follower monthly counters sit behind the
``QuotaCounter`` port (SQL store on the application database by default, Redis when
``TOLLHOUSE_REDIS_URL`` is set); the SQL store joins the unit of work's transaction, so a job's
charge and its recorded counts commit together (S2).

Check order of ``sendall``/``send`` is §4.3: token → verification → per-minute → daily quota →
body → clientmsgid → account caps → accept. Calls rejected at steps 3–7 still count toward the
minute and daily counters (D13, D14): those increments are committed before the error is raised.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tollhouse.adapters.counters.base import Bucket, QuotaCounter
from tollhouse.adapters.db.repositories.foundation import TenantRow
from tollhouse.domain import massend as m
from tollhouse.domain.errors import Conflict, InvalidRequest, NotFound, Refused
from tollhouse.domain.periods import month_label, utc
from tollhouse.services import events
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork

TOKEN_LIFETIME: Final = timedelta(seconds=7200)  # M24
TOKEN_OVERLAP: Final = timedelta(minutes=5)  # M24
CONFIRM_TIMEOUT: Final = "wechat.mass.confirm_timeout"
FINISH: Final = "wechat.mass.finish"
SIGNER: Final = "wechat"
EVENT_KIND: Final = "wechat.MASSSENDJOBFINISH"
MAX_TAGS: Final = 100  # M22
MAX_TAGS_PER_FOLLOWER: Final = 20  # M22
MAX_BATCH_TAGGING: Final = 50  # M22
MAX_TAG_NAME: Final = 30  # M22
MAX_TAG_FANS_TO_DELETE: Final = 100_000  # M22
RESERVED_TAGS: Final = {1: "黑名单", 2: "星标组"}  # listed; 0, 1 and 2 cannot be modified
IMPORT_LIMIT: Final = 10_000
GENERATE_LIMIT: Final = 100_000
OPENID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
APPID_RE: Final = re.compile(r"^wx[0-9a-f]{16}$")
SETTING_KEYS: Final = frozenset(
    {f.name for f in dataclasses.fields(m.MassSendSettings)} - {"account_type"}
    | {"callback_url", "callback_token", "clientmsgid"}
)


def tenant_id_of(appid: str) -> str:
    return f"wechat:{appid}"


def _err(errcode: int, message: str, rule: str, kind: str = "invalid") -> m.MassSendViolation:
    return m.MassSendViolation(errcode, message, rule=rule, kind=kind)


class UnknownAccount(NotFound):
    code = "wechat.account.unknown"

    def __init__(self, appid: str) -> None:
        super().__init__(
            f"WeChat account {appid!r} does not exist; create it with "
            "POST /v1/wechat/accounts or `tollhouse wechat accounts create`"
        )


class AccountExists(Conflict):
    code = "wechat.account.exists"

    def __init__(self, appid: str) -> None:
        super().__init__(f"WeChat account {appid!r} already exists; PATCH it instead")


class UnknownFollower(NotFound):
    code = "wechat.follower.unknown"

    def __init__(self, appid: str, openid: str) -> None:
        super().__init__(f"{openid!r} never followed account {appid!r}")


class UnknownJob(NotFound):
    code = "wechat.job.unknown"

    def __init__(self, appid: str, msg_id: int) -> None:
        super().__init__(f"account {appid!r} has no job with msg_id {msg_id}")


class FollowersExist(Conflict):
    code = "wechat.follower.exists"

    def __init__(self, openids: Sequence[str]) -> None:
        super().__init__(
            f"{len(openids)} OpenIDs already follow this account (first: "
            f"{openids[0]!r}); nothing was imported",
            details={"openids": list(openids[:20])},
        )


class NotSandbox(Refused):
    code = "wechat.not_sandbox"

    def __init__(self, appid: str) -> None:
        super().__init__(
            f"account {appid!r} is a production account; quota seeding is sandbox only"
        )


# -- wiring -------------------------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    """Register due-task handlers, the MASSSENDJOBFINISH signer and the dashboard link."""
    runtime.register(CONFIRM_TIMEOUT, _on_confirm_timeout)
    runtime.register(FINISH, _on_finish)
    runtime.signers[SIGNER] = _sign
    runtime.success_tests[SIGNER] = _accepted_by_receiver
    nav = runtime.extras.setdefault("dashboard_pages", [])
    if not any(item.get("href") == "/dashboard/wechat" for item in nav):
        nav.append({"href": "/dashboard/wechat", "label": "WeChat mass send"})


def quota_counter(runtime: Runtime) -> QuotaCounter:
    """The counter store, built on first use: Redis with ``redis_url``, else the SQL store."""
    counter: QuotaCounter | None = runtime.extras.get("quota_counter")
    if counter is not None:
        return counter
    url = getattr(runtime.settings, "redis_url", None)
    if url:
        import redis  # noqa: PLC0415 - optional backend

        from tollhouse.adapters.counters.redis import RedisQuotaCounter  # noqa: PLC0415

        counter = RedisQuotaCounter(redis.Redis.from_url(url))
    else:
        from tollhouse.adapters.counters.sql import SqlQuotaCounter  # noqa: PLC0415

        counter = SqlQuotaCounter(runtime.extras["engine"])
        runtime.extras["quota_counter_shares_db"] = True
    runtime.extras["quota_counter"] = counter
    return counter


def _counter_conn(runtime: Runtime, uow: UnitOfWork) -> Any:
    """The unit of work's connection when the counter lives in the same database."""
    return uow.conn if runtime.extras.get("quota_counter_shares_db") else None  # type: ignore[attr-defined]


# -- settings -----------------------------------------------------------------------------------


def settings_of(account: Mapping[str, Any]) -> m.MassSendSettings:
    base = m.default_settings(m.AccountType(account["type"]))
    raw = dict(account["settings"] or {})
    values: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(m.MassSendSettings)}
    for key, value in raw.items():
        if key == "api_daily_limits" and isinstance(value, dict):
            values[key] = {**base.api_daily_limits, **{str(k): int(v) for k, v in value.items()}}
        elif key == "clientmsgid" and isinstance(value, dict):
            for sub, field_name in (
                ("max_bytes", "clientmsgid_max_bytes"),
                ("window_s", "clientmsgid_window_s"),
                ("retry_s", "clientmsgid_retry_s"),
                ("default", "clientmsgid_default"),
            ):
                if sub in value:
                    values[field_name] = value[sub]
        elif key in names and key != "account_type":
            values[key] = value
    return dataclasses.replace(base, **values)


def _check_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(raw) - SETTING_KEYS)
    if unknown:
        raise InvalidRequest(
            f"unknown account settings {unknown}; see spec §4.6",
            details={"allowed": sorted(SETTING_KEYS)},
        )
    if "timezone" in raw:
        try:
            ZoneInfo(str(raw["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidRequest(f"timezone {raw['timezone']!r} is not an IANA zone name") from exc
    for key, allowed in (
        ("review_mode", ("auto_pass", "manual")),
        ("delivery_mode", ("instant", "paced")),
        ("former_follower_in_list", ("filter", "reject")),
    ):
        if key in raw and raw[key] not in allowed:
            raise InvalidRequest(f"{key} {raw[key]!r} is not one of {list(allowed)}")
    if "speed" in raw and raw["speed"] not in m.REALSPEED:
        raise InvalidRequest(f"speed {raw['speed']!r} is not 0 to 4")
    return dict(raw)


# -- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewAccount:
    type: str = "service"
    verified: bool = True
    appid: str | None = None
    secret: str | None = None
    original_id: str | None = None
    name: str = ""
    settings: Mapping[str, Any] | None = None
    sandbox: bool = True
    now: datetime | None = None


def account_json(account: Mapping[str, Any]) -> dict[str, Any]:
    settings = settings_of(account)
    extra = dict(account["settings"] or {})
    public = dataclasses.asdict(settings)
    public.pop("account_type")
    public["api_daily_limits"] = dict(settings.api_daily_limits)
    public["callback_url"] = extra.get("callback_url")
    public["callback_token"] = extra.get("callback_token")
    return {
        "appid": account["appid"],
        "secret": account["secret"],
        "original_id": account["original_id"],
        "name": account["name"],
        "type": account["type"],
        "verified": account["verified"],
        "settings": public,
    }


def create_account(runtime: Runtime, cmd: NewAccount) -> dict[str, Any]:
    if cmd.type not in ("service", "subscription"):
        raise InvalidRequest(f"type {cmd.type!r} is not service or subscription")
    appid = cmd.appid or "wx" + secrets.token_hex(8)
    if not APPID_RE.match(appid):
        raise InvalidRequest(f"appid {appid!r} is not 'wx' followed by 16 hex digits")
    secret = cmd.secret or secrets.token_hex(16)
    original_id = cmd.original_id or "gh_" + hashlib.sha256(appid.encode()).hexdigest()[:12]
    settings = _check_settings(cmd.settings or {})
    tenant = tenant_id_of(appid)
    with runtime.uow() as uow:
        if uow.massend.account(appid) is not None or uow.tenants.get(tenant) is not None:
            raise AccountExists(appid)
        at = runtime.system_clock.now()
        clock = utc(cmd.now) if cmd.now is not None and cmd.sandbox else None
        uow.tenants.add(
            TenantRow(
                tenant,
                "wechat_account",
                cmd.name or appid,
                cmd.sandbox,
                clock,
                has_activity=False,
                created_at=at,
            )
        )
        uow.massend.add_account(
            appid=appid,
            tenant_id=tenant,
            secret=secret,
            original_id=original_id,
            name=cmd.name,
            type=cmd.type,
            verified=cmd.verified,
            settings=settings,
            next_ordinal=0,
            next_seq=0,
            next_tag_id=100,
            created_at=at,
        )
        uow.commit()
        return account_json(_account(uow, appid))


def get_account(runtime: Runtime, appid: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        return account_json(_account(uow, appid))


def list_accounts(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        return [account_json(a) for a in uow.massend.accounts()]


def update_account(
    runtime: Runtime,
    appid: str,
    *,
    verified: bool | None = None,
    name: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    changes = _check_settings(settings or {})
    with runtime.uow() as uow:
        uow.lock_tenant(tenant_id_of(appid))
        account = _account(uow, appid)
        values: dict[str, Any] = {}
        if verified is not None:
            values["verified"] = verified
        if name is not None:
            values["name"] = name
        if changes:
            merged = {**(account["settings"] or {}), **changes}
            if "api_daily_limits" in changes:
                merged["api_daily_limits"] = {
                    **(account["settings"] or {}).get("api_daily_limits", {}),
                    **changes["api_daily_limits"],
                }
            values["settings"] = merged
        if values:
            uow.massend.update_account(appid, **values)
        uow.commit()
        return account_json(_account(uow, appid))


def _account(uow: UnitOfWork, appid: str) -> dict[str, Any]:
    account: dict[str, Any] | None = uow.massend.account(appid)
    if account is None:
        raise UnknownAccount(appid)
    return account


# -- tokens (M24) -------------------------------------------------------------------------------


def issue_token(
    runtime: Runtime, *, grant_type: str | None, appid: str | None, secret: str | None
) -> dict[str, Any]:
    """``GET /cgi-bin/token``: a new token each call; the previous one lives 5 more minutes."""
    if grant_type != "client_credential":
        raise _err(40002, f"grant_type {grant_type!r} is not client_credential", "M24")
    with runtime.uow() as uow:
        account = uow.massend.account(appid or "")
        if account is None:
            raise _err(40013, f"appid {appid!r} is not a known account", "M24", "not_found")
        tenant = account["tenant_id"]
        uow.lock_tenant(tenant)
        if not secrets.compare_digest(str(secret or ""), account["secret"]):
            raise _err(40125, "the secret does not match the appid", "M24", "unauthorized")
        at = tenant_now(runtime, uow, tenant)
        settings = settings_of(account)
        _count_daily(uow, account["appid"], m.TOKEN_PATH, at=at, settings=settings)
        uow.commit()
        token = _new_token(uow, account["appid"], "api", [], at=at)
        uow.commit()
    return {"access_token": token, "expires_in": int(TOKEN_LIFETIME.total_seconds())}


def authorize_component(
    runtime: Runtime, appid: str, *, component_appid: str, funcscope: Sequence[int]
) -> dict[str, Any]:
    """Sandbox: an ``authorizer_access_token`` for a third-party platform (M13)."""
    if not APPID_RE.match(component_appid):
        raise InvalidRequest(f"component_appid {component_appid!r} is not 'wx' + 16 hex digits")
    with runtime.uow() as uow:
        account = _account(uow, appid)
        uow.lock_tenant(account["tenant_id"])
        at = tenant_now(runtime, uow, account["tenant_id"])
        token = _new_token(uow, appid, f"api:isv:{component_appid}", list(funcscope), at=at)
        uow.commit()
    return {"authorizer_access_token": token, "expires_in": int(TOKEN_LIFETIME.total_seconds())}


def _new_token(
    uow: UnitOfWork, appid: str, channel: str, funcscope: list[int], *, at: datetime
) -> str:
    uow.massend.supersede_tokens(appid, channel, at=at)
    token = secrets.token_urlsafe(48)
    uow.massend.add_token(
        token=token,
        appid=appid,
        channel=channel,
        funcscope=funcscope,
        issued_at=at,
        expires_at=at + TOKEN_LIFETIME,
        superseded_at=None,
    )
    return token


@dataclass(frozen=True, slots=True)
class Caller:
    account: dict[str, Any]
    channel: m.Channel
    funcscope: tuple[int, ...]
    settings: m.MassSendSettings
    at: datetime

    @property
    def appid(self) -> str:
        return str(self.account["appid"])

    @property
    def tenant(self) -> str:
        return str(self.account["tenant_id"])


def _caller(
    runtime: Runtime,
    uow: UnitOfWork,
    token: str | None,
    *,
    verified: bool = True,
    write: bool = True,
) -> Caller:
    """§4.3 steps 1 and 2: token present, known, current (41001/40001/42001); verified (48001)."""
    if not token:
        raise _err(41001, "access_token is missing", "M24", "unauthorized")
    row = uow.massend.token(token)
    if row is None:
        raise _err(40001, "access_token is not known", "M24", "unauthorized")
    account = _account(uow, row["appid"])
    if write:
        uow.lock_tenant(account["tenant_id"])
    at = tenant_now(runtime, uow, account["tenant_id"])
    if at >= row["expires_at"]:
        raise _err(
            42001, f"access_token expired at {row['expires_at'].isoformat()}", "M24", "unauthorized"
        )
    if row["superseded_at"] is not None and at >= row["superseded_at"] + TOKEN_OVERLAP:
        raise _err(
            40001,
            "access_token was replaced by a newer one more than 5 minutes ago",
            "M24",
            "unauthorized",
        )
    channel_label = str(row["channel"])
    channel = (
        m.Channel(m.ChannelKind.ISV, channel_label.removeprefix("api:isv:"))
        if channel_label.startswith("api:isv:")
        else m.API
    )
    caller = Caller(account, channel, tuple(row["funcscope"] or ()), settings_of(account), at)
    if verified and not account["verified"]:
        raise _err(48001, f"account {caller.appid} is not verified", "D21", "unauthorized")
    if verified and channel.kind is m.ChannelKind.ISV and 7 not in caller.funcscope:  # noqa: PLR2004
        raise _err(
            48001,
            "the third-party platform lacks permission set 7 (mass send)",
            "D21",
            "unauthorized",
        )
    return caller


def _count_daily(
    uow: UnitOfWork, appid: str, path: str, *, at: datetime, settings: m.MassSendSettings
) -> None:
    """M11, D14: 45009 at the limit (not counted); otherwise the call counts."""
    day = m.day_label(at, settings.zone)
    kind = f"api:{path}"
    m.check_daily_api_quota(path, uow.massend.used(appid, kind, day), at=at, settings=settings)
    uow.massend.add_used(appid, kind, day)


# -- mass send (sendall, send) ------------------------------------------------------------------


def sendall(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    return _mass_send(runtime, token, body, endpoint="sendall")


def send(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    return _mass_send(runtime, token, body, endpoint="send")


def _mass_send(
    runtime: Runtime, token: str | None, body: Mapping[str, Any], *, endpoint: str
) -> dict[str, Any]:
    path = m.SENDALL_PATH if endpoint == "sendall" else m.SEND_PATH
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        settings, at, appid = caller.settings, caller.at, caller.appid
        if (
            endpoint == "send"
            and settings.account_type is m.AccountType.SUBSCRIPTION
            and not settings.sub_openid_send
        ):
            raise _err(
                48001, "subscription accounts cannot send by OpenID list", "D19", "unauthorized"
            )
        calls = uow.massend.add_used(appid, "rpm", m.minute_label(at, settings.zone))
        try:
            m.check_minute_limit(calls, at=at, settings=settings)  # step 3
            _count_daily(uow, appid, path, at=at, settings=settings)  # step 4
            request = (
                m.validate_sendall(body, settings=settings)
                if endpoint == "sendall"
                else m.validate_send(body, settings=settings)
            )  # step 5
            screening = _resolve_for_request(uow, appid, request.target, settings)
            cmid = m.dedupe_key(request, settings=settings)  # step 6
            _check_dedupe(uow, appid, cmid, at=at, settings=settings)
            reserve = _check_caps(
                uow, appid, caller.channel, request.target, at=at, settings=settings
            )  # step 7
        except m.MassSendViolation:
            uow.commit()  # the call still counts (D13, D14)
            raise
        msg_id = _accept(
            runtime,
            uow,
            caller.account,
            caller.channel,
            request.target,
            request.message,
            at=at,
            settings=settings,
            reserve=reserve,
            cmid=cmid,
            reprint=request.send_ignore_reprint,
            screening=screening,
        )
        uow.commit()
    answer: dict[str, Any] = {
        "errcode": 0,
        "errmsg": "send job submission success",
        "msg_id": msg_id,
    }
    if request.message.msgtype == "mpnews":
        answer["msg_data_id"] = msg_id
    return answer


def _resolve_for_request(
    uow: UnitOfWork, appid: str, target: m.Target, settings: m.MassSendSettings
) -> m.Screening | None:
    """Step 5 checks that need the database: unknown tag (40152), never-followed OpenID (40003).

    For an OpenID list the screened recipients are returned (an instant dispatch reuses them).
    """
    if isinstance(target, m.ToTag):
        if not _tag_exists(uow, appid, target.tag_id):
            raise _err(40152, f"tag {target.tag_id} does not exist on this account", "M6")
        return None
    if isinstance(target, m.ToOpenIds):
        candidates = _candidates_for_openids(uow, appid, target.openids)
        return m.screen(candidates, settings=settings)  # 40003: never followed / reject mode
    return None


def _candidates_for_openids(
    uow: UnitOfWork, appid: str, openids: Sequence[str]
) -> list[m.Candidate]:
    rows = {r[0]: r for r in uow.massend.by_openids(appid, openids)}
    never, following, former, candidate = m.FollowerStatus.NEVER, _FOLLOWING, _FORMER, m.Candidate
    # inlined `_candidate`: 10,000 rows per call on the hot path (one call each costs ~4 ms)
    return [
        candidate(m.OpenId(openid), never)
        if (row := rows.get(openid)) is None
        else candidate(m.OpenId(row[0]), following if row[2] else former, row[3], row[1], row[4])
        for openid in openids
    ]


_FOLLOWING: Final = m.FollowerStatus.FOLLOWING
_FORMER: Final = m.FollowerStatus.FORMER


def _candidate(row: tuple[str, int, bool, bool, bool]) -> m.Candidate:
    return m.Candidate(
        m.OpenId(row[0]),
        _FOLLOWING if row[2] else _FORMER,
        row[3],
        row[1],
        row[4],
    )


def _tag_exists(uow: UnitOfWork, appid: str, tag_id: int) -> bool:
    return tag_id == 2 or uow.massend.tag(appid, tag_id) is not None  # noqa: PLR2004 - 星标组


def _check_dedupe(
    uow: UnitOfWork, appid: str, cmid: str | None, *, at: datetime, settings: m.MassSendSettings
) -> None:
    if cmid is None:
        return
    earlier = uow.massend.clientmsgid(appid, cmid)
    if earlier is not None:
        m.check_clientmsgid(
            m.RegisteredClientMsgId(cmid, earlier[0], earlier[1]), at=at, settings=settings
        )


def _period_of(counter: m.CapCounter, at: datetime, zone: ZoneInfo) -> str:
    return month_label(at, zone) if counter is m.CapCounter.HIST_M else m.day_label(at, zone)


def _check_caps(
    uow: UnitOfWork,
    appid: str,
    channel: m.Channel,
    target: m.Target,
    *,
    at: datetime,
    settings: m.MassSendSettings,
) -> list[tuple[str, str]]:
    """Step 7: 45028 at an account cap; the (counter, period) pairs to reserve."""
    wanted = m.counters_to_reserve(channel, target, settings=settings)
    keys = [(c.value, _period_of(c, at, settings.zone)) for c in wanted]
    used = uow.massend.used_many(appid, keys) if keys else {}
    usage = m.AccountUsage(**{c.value: used[k] for c, k in zip(wanted, keys, strict=True)})
    m.check_account_caps(channel, target, usage, at=at, settings=settings)
    return keys


def _accept(  # noqa: PLR0917 - the accepted call's parts, all required
    runtime: Runtime,
    uow: UnitOfWork,
    account: Mapping[str, Any],
    channel: m.Channel,
    target: m.Target,
    message: m.MassMessage,
    *,
    at: datetime,
    settings: m.MassSendSettings,
    reserve: list[tuple[str, str]],
    cmid: str | None,
    reprint: int,
    screening: m.Screening | None,
) -> int:
    """Step 8: create the job, reserve caps, register the clientmsgid; then route it (§4.1)."""
    appid = str(account["appid"])
    msg_id = int(uow.massend.next_msg_id())
    for kind, period in reserve:
        uow.massend.add_used(appid, kind, period)
    if cmid is not None:
        uow.massend.register_clientmsgid(appid, cmid, msg_id, at)
    following = m.next_state_after_acceptance(target, settings=settings)
    kind, tag_id, openids = _target_columns(target)
    job: dict[str, Any] = {
        "msg_id": msg_id,
        "appid": appid,
        "channel": channel.label,
        "target_kind": kind,
        "tag_id": tag_id,
        "openids": openids if following is not m.JobState.DISPATCHED else None,
        "scope": _scope_label(target),
        "msgtype": message.msgtype,
        "message": dict(message.payload),
        "send_ignore_reprint": reprint,
        "clientmsgid": cmid,
        "submitted_at": at,
        "state": m.JobState.ACCEPTED.value,
        "timeline": [[m.JobState.ACCEPTED.value, _iso(at)]],
        "reserved": [list(r) for r in reserve],
        "dispatch_token": secrets.token_hex(8),
        "charge_month": None,
        "total_count": 0,
        "filter_count": 0,
        "sent_count": 0,
        "error_count": 0,
        "filtered": {},
        "review_error": None,
        "deleted_articles": [],
        "msg_data_id": msg_id if message.msgtype == "mpnews" else None,
        "note": None,
    }
    uow.massend.add_job(**job)
    uow.tenants.mark_activity(account["tenant_id"])
    if following is m.JobState.AWAITING_CONFIRMATION:
        _move(uow, job, m.JobState.AWAITING_CONFIRMATION, at)
        uow.tasks.add(
            tenant_id=account["tenant_id"],
            kind=CONFIRM_TIMEOUT,
            due_at=at + timedelta(seconds=settings.confirmation_window_s),
            payload={"msg_id": msg_id},
            dedupe_key=f"wechat:confirm:{msg_id}",
        )
    elif following is m.JobState.IN_REVIEW:
        _move(uow, job, m.JobState.IN_REVIEW, at)
    else:
        _dispatch(runtime, uow, account, job, at=at, settings=settings, screening=screening)
    return msg_id


def _scope_label(target: m.Target) -> str:
    if isinstance(target, m.ToOpenIds):
        return f"openids:{len(target.openids)}"  # the digest is in the clientmsgid (§4.5)
    return target.scope


def _target_columns(target: m.Target) -> tuple[str, int | None, list[str] | None]:
    if isinstance(target, m.ToTag):
        return "tag", target.tag_id, None
    if isinstance(target, m.ToOpenIds):
        return "openids", None, list(target.openids)
    return "all", None, None


def _iso(at: datetime) -> str:
    return utc(at).isoformat()


def _move(
    uow: UnitOfWork, job: dict[str, Any], target: m.JobState, at: datetime, **values: Any
) -> None:
    """A §4.1 transition, checked against the domain's table, recorded on the job row."""
    state = m.JobState(job["state"])
    if target not in m.TRANSITIONS[state]:
        raise m.InvalidJobTransition(int(job["msg_id"]), state, target)
    job["state"] = target.value
    job["timeline"] = [*job["timeline"], [target.value, _iso(at)]]
    job.update(values)
    uow.massend.update_job(
        int(job["msg_id"]), state=job["state"], timeline=job["timeline"], **values
    )


def _dispatch(
    runtime: Runtime,
    uow: UnitOfWork,
    account: Mapping[str, Any],
    job: dict[str, Any],
    *,
    at: datetime,
    settings: m.MassSendSettings,
    screening: m.Screening | None = None,
) -> None:
    """Resolve, filter and charge the recipients, in chunks of ≤ 10,000 (D2, D3, S2, S3)."""
    appid = str(account["appid"])
    if screening is None:
        if job["target_kind"] == "openids":
            candidates = _candidates_for_openids(uow, appid, job["openids"] or [])
        else:
            rows = uow.massend.current_in_scope(appid, job["tag_id"])
            candidates = [_candidate(r) for r in rows]
        # a never-followed id cannot appear (checked at acceptance); formers are filtered
        screening = m.screen(
            candidates, settings=dataclasses.replace(settings, former_follower_in_list="filter")
        )
    month = month_label(at, settings.zone)
    refused: set[m.OpenId] = set()
    cap = settings.follower_monthly_cap
    if cap is not None and screening.eligible:
        counter = quota_counter(runtime)
        bucket = Bucket(appid, month, zone=settings.timezone)
        conn = _counter_conn(runtime, uow)
        by_ordinal = {c.ordinal: c.openid for c in screening.eligible}
        for number, chunk in enumerate(m.chunks(screening.eligible)):
            key = f"{job['msg_id']}:{number}:{job['dispatch_token']}"
            ordinals = [int(c.ordinal) for c in chunk if c.ordinal is not None]
            for ordinal in counter.consume(bucket, ordinals, cap=cap, key=key, conn=conn):
                refused.add(by_ordinal[ordinal])
    outcome = m.dispatch_outcome(screening, refused)
    counts = outcome.counts
    _move(
        uow,
        job,
        m.JobState.DISPATCHED,
        at,
        charge_month=month,
        openids=None,
        total_count=counts.total,
        filter_count=counts.filter_count,
        sent_count=counts.sent,
        error_count=counts.error,
        filtered={reason.value: list(ids) for reason, ids in outcome.filtered.items() if ids},
    )
    if settings.delivery_mode == "paced":
        minutes = m.paced_minutes(counts.filter_count, settings.speed)
        uow.tasks.add(
            tenant_id=account["tenant_id"],
            kind=FINISH,
            due_at=at + timedelta(minutes=minutes),
            payload={"msg_id": job["msg_id"]},
            dedupe_key=f"wechat:finish:{job['msg_id']}",
        )
    else:
        _finish(uow, account, job, at=at)


def _finish(
    uow: UnitOfWork, account: Mapping[str, Any], job: dict[str, Any], *, at: datetime
) -> None:
    _move(uow, job, m.JobState.FINISHED, at)
    _publish(uow, account, job, at=at, status="send success")


def _fail(
    uow: UnitOfWork,
    account: Mapping[str, Any],
    job: dict[str, Any],
    *,
    at: datetime,
    review_error: int | None = None,
) -> None:
    """D9: a voided job releases its account reservations; nothing else was charged."""
    for kind, period in job["reserved"]:
        uow.massend.add_used(account["appid"], kind, period, -1)
    _move(
        uow,
        job,
        m.JobState.FAILED,
        at,
        review_error=review_error,
        openids=None,
        total_count=0,
        filter_count=0,
        sent_count=0,
        error_count=0,
    )
    status = f"err({review_error})" if review_error else "send fail"
    _publish(uow, account, job, at=at, status=status)


def _publish(
    uow: UnitOfWork,
    account: Mapping[str, Any],
    job: Mapping[str, Any],
    *,
    at: datetime,
    status: str,
) -> None:
    """MASSSENDJOBFINISH (§5.4): kept in the event feed, posted to the callback URL if set."""
    extra = account["settings"] or {}
    xml = finish_xml(account, job, at=at, status=status)
    counts = {
        "TotalCount": job["total_count"],
        "FilterCount": job["filter_count"],
        "SentCount": job["sent_count"],
        "ErrorCount": job["error_count"],
    }
    events.publish(
        uow,
        tenant_id=account["tenant_id"],
        kind=EVENT_KIND,
        at=at,
        payload={
            "signer": SIGNER,
            "appid": account["appid"],
            "msg_id": job["msg_id"],
            "status": status,
            **counts,
        },
        target_url=extra.get("callback_url") or None,
        content_type="text/xml",
        body=xml,
        dedupe_key=f"wechat:{account['appid']}:finish:{job['msg_id']}",
    )


def assistant_openid(appid: str) -> str:
    """A stable 28-character id for the platform's mass-send assistant of this account."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(f"assistant:{appid}".encode()).digest())
    return "o" + digest.decode()[:27]


def finish_xml(
    account: Mapping[str, Any], job: Mapping[str, Any], *, at: datetime, status: str
) -> str:
    return (
        "<xml>"
        f"<ToUserName><![CDATA[{account['original_id']}]]></ToUserName>"
        f"<FromUserName><![CDATA[{assistant_openid(account['appid'])}]]></FromUserName>"
        f"<CreateTime>{int(at.timestamp())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[MASSSENDJOBFINISH]]></Event>"
        f"<MsgID>{job['msg_id']}</MsgID>"
        f"<Status><![CDATA[{status}]]></Status>"
        f"<TotalCount>{job['total_count']}</TotalCount>"
        f"<FilterCount>{job['filter_count']}</FilterCount>"
        f"<SentCount>{job['sent_count']}</SentCount>"
        f"<ErrorCount>{job['error_count']}</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList></ResultList>"
        "<CheckState>1</CheckState></CopyrightCheckResult>"
        "<ArticleUrlResult><Count>0</Count><ResultList></ResultList></ArticleUrlResult>"
        "</xml>"
    )


def signature(token: str, timestamp: str, nonce: str) -> str:
    """The platform's server-verification signature: SHA-1 of the sorted concatenation."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324


def _sign(
    runtime: Runtime, uow: UnitOfWork, event: Any, at: datetime
) -> tuple[str, bytes, dict[str, str]]:
    del runtime
    account = uow.massend.account(event.payload["appid"]) or {}
    token = str((account.get("settings") or {}).get("callback_token") or "")
    timestamp = str(int(at.timestamp()))
    nonce = hashlib.sha256(f"{event.id}:{event.attempts}".encode()).hexdigest()[:10]
    query = urlencode(
        {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    )
    url = str(event.target_url)
    url = f"{url}{'&' if '?' in url else '?'}{query}"
    return url, (event.body or "").encode(), {"Content-Type": "text/xml"}


def _accepted_by_receiver(status: int | None, body: str) -> bool:
    return status == 200 and body.strip() in ("", "success")  # noqa: PLR2004 - HTTP OK


def _on_confirm_timeout(
    runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime
) -> str:
    job = uow.massend.job(int(payload["msg_id"]))
    if job is None or job["state"] != m.JobState.AWAITING_CONFIRMATION.value:
        return "no longer awaiting confirmation"
    account = _account(uow, job["appid"])
    _fail(uow, account, job, at=at)
    del runtime
    return f"job {job['msg_id']} not confirmed within the window: send fail"


def _on_finish(runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime) -> str:
    del runtime
    job = uow.massend.job(int(payload["msg_id"]))
    if job is None or job["state"] != m.JobState.DISPATCHED.value:
        return "not dispatched"
    _finish(uow, _account(uow, job["appid"]), job, at=at)
    return f"job {job['msg_id']} finished"


# -- other mass-send APIs -----------------------------------------------------------------------


def preview(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """M18, D7: no send quota used; ``towxname`` previews are limited per day."""
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        request = m.validate_preview(body)
        appid, settings, at = caller.appid, caller.settings, caller.at
        if request.towxname is not None:
            follower = uow.massend.follower_by_wxname(appid, request.towxname)
            if follower is None or not follower["subscribed"]:
                raise _err(40132, f"no follower has WeChat ID {request.towxname!r}", "M18")
            day = m.day_label(at, settings.zone)
            m.check_preview_wxname(
                uow.massend.used(appid, "preview_wxname", day), at=at, settings=settings
            )
            uow.massend.add_used(appid, "preview_wxname", day)
        else:
            follower = uow.massend.follower(appid, str(request.touser))
            if follower is None or not follower["subscribed"]:
                raise _err(40003, f"{request.touser!r} is not a current follower", "M18")
        msg_id = uow.massend.next_msg_id()
        uow.commit()
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def get_status(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
        job = _own_job(uow, caller.appid, body.get("msg_id"))
        status = m.MSG_STATUS[m.JobState(job["state"])]
        if job["state"] == m.JobState.AWAITING_CONFIRMATION.value and caller.at >= job[
            "submitted_at"
        ] + timedelta(seconds=caller.settings.confirmation_window_s):
            status = "SEND_FAIL"  # the timeout task has not run yet (D9)
    return {"msg_id": int(job["msg_id"]), "msg_status": status}


def _own_job(uow: UnitOfWork, appid: str, raw: object) -> dict[str, Any]:
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise m.JobNotFound(raw, "msg_id is missing or not an integer")
    job: dict[str, Any] | None = uow.massend.job(raw)
    if job is None or job["appid"] != appid:
        raise m.JobNotFound(raw, "no such job on this account")
    return job


def delete(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """M19, D8: API mpnews/mpvideo jobs that finished; nothing is refunded."""
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        if body.get("msg_id") is None:
            raise m.JobNotFound(body.get("url"), "the engine issues no article URLs; send msg_id")
        job = _own_job(uow, caller.appid, body.get("msg_id"))
        idx = body.get("article_idx", 0) or 0
        if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx <= 8:  # noqa: PLR2004
            raise m.JobNotFound(job["msg_id"], f"article_idx {idx!r} is not 0 to 8")
        if not str(job["channel"]).startswith("api"):
            raise m.JobNotFound(job["msg_id"], "website sends cannot be deleted through the API")
        if job["state"] != m.JobState.FINISHED.value:
            raise m.JobNotFound(job["msg_id"], f"the job is {job['state']}, not SEND_SUCCESS")
        if job["msgtype"] not in m.DELETABLE_MSGTYPES:
            raise m.JobNotFound(job["msg_id"], f"{job['msgtype']} messages cannot be deleted")
        if idx == 0:
            _move(uow, job, m.JobState.DELETED, caller.at)
        else:
            uow.massend.update_job(
                int(job["msg_id"]), deleted_articles=sorted({*job["deleted_articles"], idx})
            )
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


def speed_get(runtime: Runtime, token: str | None) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
    speed = caller.settings.speed
    return {"speed": speed, "realspeed": m.REALSPEED[speed]}


def speed_set(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        window = timedelta(seconds=caller.settings.confirmation_window_s)
        awaiting = any(
            caller.at < j["submitted_at"] + window
            for j in uow.massend.jobs_in_state(caller.appid, m.JobState.AWAITING_CONFIRMATION.value)
        )
        speed = m.check_speed(body.get("speed"), awaiting_confirmation=awaiting)
        uow.massend.update_account(
            caller.appid, settings={**(caller.account["settings"] or {}), "speed": speed}
        )
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


def quota_get(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
        path = str(body.get("cgi_path") or "")
        used = uow.massend.used(
            caller.appid, f"api:{path}", m.day_label(caller.at, caller.settings.zone)
        )
    return m.quota_get(path, used, settings=caller.settings)


def clear_quota(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """M12, D14: zero today's API counters; 10 uses per natural month."""
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        if body.get("appid") != caller.appid:
            raise _err(40013, f"appid {body.get('appid')!r} is not this token's account", "M12")
        month = month_label(caller.at, caller.settings.zone)
        m.check_clear_quota(
            uow.massend.used(caller.appid, "clear_quota", month),
            at=caller.at,
            settings=caller.settings,
        )
        uow.massend.add_used(caller.appid, "clear_quota", month)
        uow.massend.zero_period_kinds(
            caller.appid, "api:", m.day_label(caller.at, caller.settings.zone)
        )
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


# -- followers and tags through the platform API ------------------------------------------------


def user_get(runtime: Runtime, token: str | None, next_openid: str | None) -> dict[str, Any]:
    """M21, §5.5: 10,000 current followers per page in subscription order."""
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        _count_daily(uow, caller.appid, m.USER_GET_PATH, at=caller.at, settings=caller.settings)
        uow.commit()
        after = _after_seq(uow, caller.appid, next_openid)
        total = uow.massend.count_current(caller.appid)
        rows = uow.massend.page(caller.appid, after_seq=after, limit=m.USER_GET_PAGE + 1)
    return _page_json(rows, total=total)


def _after_seq(uow: UnitOfWork, appid: str, next_openid: str | None) -> int:
    if not next_openid:
        return -1
    follower = uow.massend.follower(appid, next_openid)
    if follower is None:
        raise _err(40003, f"next_openid {next_openid!r} never followed this account", "M21")
    return int(follower["seq"])


def _page_json(rows: list[tuple[str, int]], *, total: int | None) -> dict[str, Any]:
    more = len(rows) > m.USER_GET_PAGE
    rows = rows[: m.USER_GET_PAGE]
    body: dict[str, Any] = {} if total is None else {"total": total}
    body["count"] = len(rows)
    if rows:
        body["data"] = {"openid": [r[0] for r in rows]}
    body["next_openid"] = rows[-1][0] if more else ""
    return body


def tag_users(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
        tag_id = _tag_id(body.get("tagid"))
        if not _tag_exists(uow, caller.appid, tag_id):
            raise _err(45159, f"tag {tag_id} does not exist", "M22")
        after = _after_seq(uow, caller.appid, body.get("next_openid") or None)
        rows = uow.massend.page(
            caller.appid, after_seq=after, limit=m.USER_GET_PAGE + 1, tag_id=tag_id
        )
    return _page_json(rows, total=None)


def _tag_id(raw: object) -> int:
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise _err(45159, f"tag id {raw!r} is not an integer", "M22")
    return raw


def _tag_name(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _err(45157, f"tag name {raw!r} is empty", "M22")
    if len(raw) > MAX_TAG_NAME:
        raise _err(45158, f"tag name has {len(raw)} characters; the limit is 30", "M22")
    return raw


def tags_create(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        tag = create_tag(uow, caller.appid, (body.get("tag") or {}).get("name"))
        uow.commit()
    return {"tag": tag}


def create_tag(uow: UnitOfWork, appid: str, raw_name: object) -> dict[str, Any]:
    name = _tag_name(raw_name)
    if name in RESERVED_TAGS.values() or uow.massend.tag_by_name(appid, name) is not None:
        raise _err(45157, f"tag name {name!r} is already used", "M22", "conflict")
    if len(uow.massend.tags(appid)) >= MAX_TAGS:
        raise _err(45056, "the account already has 100 tags", "M22", "conflict")
    tag_id = uow.massend.take(appid, "next_tag_id", 1)
    uow.massend.add_tag(appid, tag_id, name)
    return {"id": tag_id, "name": name}


def tags_get(runtime: Runtime, token: str | None) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
        tags = uow.massend.tags(caller.appid)
        starred = uow.massend.count_current(caller.appid, 2)
    reserved = [
        {"id": 1, "name": RESERVED_TAGS[1], "count": 0},
        {"id": 2, "name": RESERVED_TAGS[2], "count": starred},
    ]
    return {"tags": reserved + tags}


def tags_update(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        raw = body.get("tag") or {}
        tag_id = _tag_id(raw.get("id"))
        if tag_id in (0, 1, 2):
            raise _err(45058, f"tag {tag_id} is a system tag", "M22", "conflict")
        if uow.massend.tag(caller.appid, tag_id) is None:
            raise _err(45159, f"tag {tag_id} does not exist", "M22", "not_found")
        name = _tag_name(raw.get("name"))
        other = uow.massend.tag_by_name(caller.appid, name)
        if name in RESERVED_TAGS.values() or (other is not None and other["tag_id"] != tag_id):
            raise _err(45157, f"tag name {name!r} is already used", "M22", "conflict")
        uow.massend.rename_tag(caller.appid, tag_id, name)
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


def tags_delete(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        tag_id = _tag_id((body.get("tag") or {}).get("id"))
        if tag_id in (0, 1, 2):
            raise _err(45058, f"tag {tag_id} is a system tag", "M22", "conflict")
        if uow.massend.tag(caller.appid, tag_id) is None:
            raise _err(45159, f"tag {tag_id} does not exist", "M22", "not_found")
        fans = uow.massend.count_current(caller.appid, tag_id)
        if fans > MAX_TAG_FANS_TO_DELETE:
            raise _err(45057, f"tag {tag_id} has {fans} fans; untag them first", "M22", "conflict")
        uow.massend.delete_tag(caller.appid, tag_id)
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


def batch_tagging(
    runtime: Runtime, token: str | None, body: Mapping[str, Any], *, untag: bool = False
) -> dict[str, Any]:
    """M22: 1–50 current followers per call, ≤ 20 tags each; all or nothing."""
    with runtime.uow() as uow:
        caller = _caller(runtime, uow, token)
        openids = body.get("openid_list")
        if not isinstance(openids, list) or not 1 <= len(openids) <= MAX_BATCH_TAGGING:
            size = len(openids) if isinstance(openids, list) else 0
            raise _err(40032, f"openid_list has {size} OpenIDs; send 1 to 50", "M22")
        tag_id = _tag_id(body.get("tagid"))
        if tag_id in (0, 1) or not _tag_exists(uow, caller.appid, tag_id):
            raise _err(45159, f"tag {tag_id} cannot be used for tagging", "M22", "not_found")
        ids = [str(o) for o in dict.fromkeys(openids)]
        _require_current(uow, caller.appid, ids)
        if untag:
            uow.massend.remove_memberships(caller.appid, tag_id, ids)
        else:
            already = uow.massend.tagged(caller.appid, tag_id, ids)
            counts = uow.massend.tag_counts_of(caller.appid, ids)
            over = [
                o for o in ids if o not in already and counts.get(o, 0) >= MAX_TAGS_PER_FOLLOWER
            ]
            if over:
                raise _err(45059, f"{over[0]} already has 20 tags", "M22", "conflict")
            uow.massend.add_memberships(caller.appid, [(tag_id, o) for o in ids])
        uow.commit()
    return {"errcode": 0, "errmsg": "ok"}


def _require_current(uow: UnitOfWork, appid: str, openids: Sequence[str]) -> None:
    current = {r[0] for r in uow.massend.by_openids(appid, openids) if r[2]}
    missing = [o for o in openids if o not in current]
    if missing:
        raise _err(40003, f"{missing[0]!r} is not a current follower", "M22")


def tag_id_list(runtime: Runtime, token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        caller = _caller(runtime, uow, token, write=False)
        openid = str(body.get("openid") or "")
        _require_current(uow, caller.appid, [openid])
        return {"tagid_list": uow.massend.tag_ids_of(caller.appid, openid)}


# -- sandbox admin (§5.7) -----------------------------------------------------------------------


def generated_openid(appid: str, ordinal: int) -> str:
    """A deterministic 28-character OpenID from ``[A-Za-z0-9_-]``."""
    digest = hashlib.sha256(f"{appid}:{ordinal}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def add_followers(
    runtime: Runtime,
    appid: str,
    *,
    followers: Sequence[Mapping[str, Any]] | None = None,
    generate: int | None = None,
) -> dict[str, Any]:
    """Import followers (≤ 10,000 a call) or generate n (≤ 100,000); all or nothing."""
    if (followers is None) == (generate is None):
        raise InvalidRequest("send exactly one of followers and generate")
    if generate is not None and not 1 <= generate <= GENERATE_LIMIT:
        raise InvalidRequest(f"generate {generate} is not 1 to {GENERATE_LIMIT}")
    if followers is not None and not 1 <= len(followers) <= IMPORT_LIMIT:
        raise InvalidRequest(f"{len(followers)} followers in one call; send 1 to {IMPORT_LIMIT}")
    with runtime.uow() as uow:
        account = _account(uow, appid)
        uow.lock_tenant(account["tenant_id"])
        at = tenant_now(runtime, uow, account["tenant_id"])
        count = generate if generate is not None else len(followers or [])
        first = int(account["next_ordinal"])
        specs: list[Mapping[str, Any]] = (
            list(followers)
            if followers is not None
            else [{"openid": generated_openid(appid, first + i)} for i in range(count)]
        )
        rows, tag_pairs = _follower_rows(uow, appid, specs, first=first, at=at)
        clash = sorted(uow.massend.existing_openids(appid, [r["openid"] for r in rows]))
        if clash:
            raise FollowersExist(clash)
        uow.massend.take(appid, "next_ordinal", count)
        seq = uow.massend.take(appid, "next_seq", count)
        for i, row in enumerate(rows):
            row["seq"] = seq + i
        uow.massend.add_followers(rows)
        uow.massend.add_memberships(appid, tag_pairs)
        uow.commit()
    return {"created": len(rows), "openids": [r["openid"] for r in rows]}


def _follower_rows(
    uow: UnitOfWork, appid: str, specs: Sequence[Mapping[str, Any]], *, first: int, at: datetime
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    rows: list[dict[str, Any]] = []
    pairs: list[tuple[int, str]] = []
    seen: set[str] = set()
    tag_ids: dict[str, int] = {}
    for i, spec in enumerate(specs):
        openid = str(spec.get("openid") or generated_openid(appid, first + i))
        if not OPENID_RE.match(openid) or openid in seen:
            raise InvalidRequest(
                f"follower {i}: OpenID {openid!r} is invalid or repeated; "
                "use 1–64 characters from [A-Za-z0-9_-]"
            )
        seen.add(openid)
        subscribed_at = spec.get("subscribed_at")
        when = (
            utc(
                datetime.fromisoformat(subscribed_at)
                if isinstance(subscribed_at, str)
                else subscribed_at
            )
            if subscribed_at
            else at
        )
        rows.append(
            {
                "appid": appid,
                "openid": openid,
                "ordinal": first + i,
                "seq": 0,
                "wxname": spec.get("wxname") or None,
                "subscribed": True,
                "subscribed_at": when,
                "unsubscribed_at": None,
                "receive_off": bool(spec.get("receive_off", False)),
                "delivery_fault": bool(spec.get("delivery_fault", False)),
                "history": [{"at": _iso(when), "change": "subscribed"}],
            }
        )
        pairs.extend(
            (_import_tag(uow, appid, tag, tag_ids), openid) for tag in spec.get("tags") or ()
        )
    return rows, pairs


def _import_tag(uow: UnitOfWork, appid: str, tag: object, cache: dict[str, int]) -> int:
    """A tag id (must exist) or a tag name (created when missing)."""
    if isinstance(tag, int) and not isinstance(tag, bool):
        if tag in (0, 1) or not _tag_exists(uow, appid, tag):
            raise InvalidRequest(
                f"tag {tag} does not exist on account {appid}", details={"errcode": 45159}
            )
        return tag
    name = str(tag)
    if name not in cache:
        existing = uow.massend.tag_by_name(appid, name)
        cache[name] = existing["tag_id"] if existing else create_tag(uow, appid, name)["id"]
    return cache[name]


def follower_json(follower: Mapping[str, Any], tag_ids: Sequence[int]) -> dict[str, Any]:
    return {
        "openid": follower["openid"],
        "wxname": follower["wxname"],
        "subscribed": bool(follower["subscribed"]),
        "subscribed_at": _opt_iso(follower["subscribed_at"]),
        "unsubscribed_at": _opt_iso(follower["unsubscribed_at"]),
        "receive_off": bool(follower["receive_off"]),
        "delivery_fault": bool(follower["delivery_fault"]),
        "tags": list(tag_ids),
        "history": follower["history"],
    }


def _opt_iso(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)


def get_follower(runtime: Runtime, appid: str, openid: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        _account(uow, appid)
        follower = uow.massend.follower(appid, openid)
        if follower is None:
            raise UnknownFollower(appid, openid)
        return follower_json(follower, uow.massend.tag_ids_of(appid, openid))


def update_follower(
    runtime: Runtime,
    appid: str,
    openid: str,
    *,
    subscribed: bool | None = None,
    receive_off: bool | None = None,
    delivery_fault: bool | None = None,
) -> dict[str, Any]:
    """Sandbox state changes; resubscribing moves the follower to the end (§5.5, D16)."""
    with runtime.uow() as uow:
        account = _account(uow, appid)
        uow.lock_tenant(account["tenant_id"])
        at = tenant_now(runtime, uow, account["tenant_id"])
        follower = uow.massend.follower(appid, openid)
        if follower is None:
            raise UnknownFollower(appid, openid)
        values: dict[str, Any] = {}
        history = list(follower["history"])
        if subscribed is not None and subscribed != bool(follower["subscribed"]):
            values["subscribed"] = subscribed
            if subscribed:
                values["seq"] = uow.massend.take(appid, "next_seq", 1)
                values["subscribed_at"] = at
            else:
                values["unsubscribed_at"] = at
            history.append(
                {"at": _iso(at), "change": "subscribed" if subscribed else "unsubscribed"}
            )
        for name, value in (("receive_off", receive_off), ("delivery_fault", delivery_fault)):
            if value is not None and value != bool(follower[name]):
                values[name] = value
                history.append({"at": _iso(at), "change": f"{name}={str(value).lower()}"})
        if values:
            uow.massend.update_follower(appid, openid, history=history, **values)
            uow.tenants.mark_activity(account["tenant_id"])
        uow.commit()
        return follower_json(
            uow.massend.follower(appid, openid), uow.massend.tag_ids_of(appid, openid)
        )


def follower_quota(
    runtime: Runtime, appid: str, openid: str, month: str | None = None
) -> dict[str, Any]:
    """X17: received, remaining and the month's local boundaries."""
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        follower = uow.massend.follower(appid, openid)
        if follower is None:
            raise UnknownFollower(appid, openid)
        label = month or month_label(tenant_now(runtime, uow, account["tenant_id"]), settings.zone)
        bucket = _bucket(appid, label, settings)
    received = quota_counter(runtime).used(bucket, [int(follower["ordinal"])])[0]
    cap = settings.follower_monthly_cap
    quota = m.follower_quota(label, received, cap=cap or 0, zone=settings.zone)
    return {
        "month": label,
        "cap": cap,
        "received": received,
        "remaining": quota.remaining if cap is not None else None,
        "period_start": quota.period_start.isoformat(),
        "resets_at": quota.resets_at.isoformat(),
    }


def _bucket(appid: str, month: str, settings: m.MassSendSettings) -> Bucket:
    try:
        return Bucket(appid, month, zone=settings.timezone)
    except InvalidRequest as exc:
        raise InvalidRequest(f"month {month!r} is not a 'YYYY-MM' label") from exc


def seed_follower_quota(
    runtime: Runtime, appid: str, openid: str, month: str, received: int
) -> dict[str, Any]:
    """Sandbox fixtures (§5.7 PUT …/quota/{month})."""
    with runtime.uow() as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        tenant = uow.tenants.get(account["tenant_id"])
        if tenant is None or not tenant.sandbox:
            raise NotSandbox(appid)
        follower = uow.massend.follower(appid, openid)
        if follower is None:
            raise UnknownFollower(appid, openid)
        cap = settings.follower_monthly_cap
        if cap is None or not 0 <= received <= cap:
            raise InvalidRequest(f"received {received} is not 0 to {cap} for this account")
        bucket = _bucket(appid, month, settings)
        uow.lock_tenant(account["tenant_id"])
        quota_counter(runtime).seed(
            bucket, {int(follower["ordinal"]): received}, conn=_counter_conn(runtime, uow)
        )
        uow.tenants.mark_activity(account["tenant_id"])
        uow.commit()
    return follower_quota(runtime, appid, openid, month)


def web_send(runtime: Runtime, appid: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """An ``mp_web`` send (M1: no verification needed); 45028 at an account cap (D5, D6)."""
    target = body.get("target")
    if not isinstance(target, dict):
        raise InvalidRequest('target must be {"is_to_all": true} or {"tag_id": n}')
    flt = (
        {"is_to_all": True}
        if target.get("is_to_all") is True
        else {"is_to_all": False, "tag_id": target.get("tag_id")}
    )
    with runtime.uow() as uow:
        account = _account(uow, appid)
        uow.lock_tenant(account["tenant_id"])
        settings = settings_of(account)
        at = tenant_now(runtime, uow, account["tenant_id"])
        request = m.validate_sendall({**body, "filter": flt}, settings=settings)
        _resolve_for_request(uow, appid, request.target, settings)
        reserve = _check_caps(uow, appid, m.MP_WEB, request.target, at=at, settings=settings)
        web_settings = dataclasses.replace(settings, mass_protection=False)
        msg_id = _accept(
            runtime,
            uow,
            account,
            m.MP_WEB,
            request.target,
            request.message,
            at=at,
            settings=web_settings,
            reserve=reserve,
            cmid=None,
            reprint=0,
            screening=None,
        )
        uow.commit()
        job = uow.massend.job(msg_id)
    return {"msg_id": msg_id, "status": m.MSG_STATUS[m.JobState(job["state"])]}


def account_quota(runtime: Runtime, appid: str, at: datetime | None = None) -> dict[str, Any]:
    """The admin quota view (§5.7, X17)."""
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        when = utc(at) if at is not None else tenant_now(runtime, uow, account["tenant_id"])
        zone = settings.zone
        month, day = month_label(when, zone), m.day_label(when, zone)
        minute = m.minute_label(when, zone)
        monthly = uow.massend.period_rows(appid, month)
        daily = uow.massend.period_rows(appid, day)
        per_minute = uow.massend.period_rows(appid, minute)
    body: dict[str, Any] = {
        "appid": appid,
        "timezone": settings.timezone,
        "at": when.astimezone(zone).isoformat(),
        "month": month,
        "day": day,
    }
    if settings.account_type is m.AccountType.SERVICE:
        body["history"] = {
            "month": {
                "period": month,
                "used": monthly.get("hist_m", 0),
                "limit": settings.history_monthly_cap,
            },
            "day": {
                "period": day,
                "used": daily.get("hist_d", 0),
                "limit": settings.history_daily_cap,
            },
        }
        body["subscription_day"] = None
    else:
        body["history"] = None
        body["subscription_day"] = {
            "period": day,
            "used": daily.get("sub_d", 0),
            "limit": settings.sub_daily_cap,
        }
    body["api"] = {
        path: {"used": daily.get(f"api:{path}", 0), "daily_limit": limit}
        for path, limit in settings.api_daily_limits.items()
    }
    body["per_minute"] = {
        "minute": minute,
        "used": per_minute.get("rpm", 0),
        "limit": settings.mass_rate_per_minute,
    }
    body["clear_quota"] = {
        "used": monthly.get("clear_quota", 0),
        "limit": settings.clear_quota_monthly_limit,
    }
    body["preview_wxname"] = {
        "used": daily.get("preview_wxname", 0),
        "limit": settings.preview_wxname_daily_limit,
    }
    return body


def job_json(
    job: Mapping[str, Any],
    *,
    settings: m.MassSendSettings | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    state = m.JobState(job["state"])
    status = m.MSG_STATUS[state]
    if (
        settings is not None
        and at is not None
        and state is m.JobState.AWAITING_CONFIRMATION
        and at >= job["submitted_at"] + timedelta(seconds=settings.confirmation_window_s)
    ):
        status = "SEND_FAIL"
    filtered = job["filtered"] or {}
    return {
        "msg_id": int(job["msg_id"]),
        "channel": job["channel"],
        "state": job["state"],
        "msg_status": status,
        "target": {
            "all": {"is_to_all": True},
            "tag": {"tag_id": job["tag_id"]},
            "openids": {"openids": True},
        }[job["target_kind"]],
        "msgtype": job["msgtype"],
        "clientmsgid": job["clientmsgid"],
        "submitted_at": _iso(job["submitted_at"]),
        "timeline": job["timeline"],
        "charge_month": job["charge_month"],
        "counts": {
            "total": job["total_count"],
            "filter": job["filter_count"],
            "sent": job["sent_count"],
            "error": job["error_count"],
        },
        "filter_breakdown": {r.value: len(filtered.get(r.value, [])) for r in m.FilterReason},
        "filtered": filtered if "filtered" in job else {},
        "reserved": job["reserved"],
        "review_error": job["review_error"],
        "deleted_articles": job["deleted_articles"],
    }


def list_jobs(runtime: Runtime, appid: str, month: str | None = None) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        at = tenant_now(runtime, uow, account["tenant_id"])
        start = end = None
        if month:
            period = m.month_period(_bucket(appid, month, settings).month, settings.zone)
            start, end = period.start, period.end
        rows = uow.massend.jobs(appid, start=start, end=end)
    return [{**job_json(j, settings=settings, at=at), "filtered": None} for j in rows]


def get_job(runtime: Runtime, appid: str, msg_id: int) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        job = uow.massend.job(msg_id)
        if job is None or job["appid"] != appid:
            raise UnknownJob(appid, msg_id)
        at = tenant_now(runtime, uow, account["tenant_id"])
        return job_json(job, settings=settings_of(account), at=at)


def confirm_job(runtime: Runtime, appid: str, msg_id: int, *, approve: bool) -> dict[str, Any]:
    """M16: the admin approves or refuses a send to all; 409 if not awaiting or too late."""
    with runtime.uow() as uow:
        account, job, settings, at = _admin_job(runtime, uow, appid, msg_id)
        deadline = job["submitted_at"] + timedelta(seconds=settings.confirmation_window_s)
        if job["state"] != m.JobState.AWAITING_CONFIRMATION.value or at >= deadline:
            raise m.InvalidJobTransition(msg_id, m.JobState(job["state"]), m.JobState.DISPATCHED)
        if not approve:
            _fail(uow, account, job, at=at)
        elif m.next_state_after_confirmation(settings=settings) is m.JobState.IN_REVIEW:
            _move(uow, job, m.JobState.IN_REVIEW, at)
        else:
            _dispatch(runtime, uow, account, job, at=at, settings=settings)
        uow.commit()
        return job_json(uow.massend.job(msg_id), settings=settings, at=at)


def review_job(
    runtime: Runtime, appid: str, msg_id: int, *, verdict: str, code: int | None = None
) -> dict[str, Any]:
    """M23: a failed review voids the job with ``err(code)`` (D9); a pass dispatches it."""
    if verdict not in ("pass", "reject"):
        raise InvalidRequest(f"verdict {verdict!r} is not pass or reject")
    with runtime.uow() as uow:
        account, job, settings, at = _admin_job(runtime, uow, appid, msg_id)
        if job["state"] != m.JobState.IN_REVIEW.value:
            raise m.InvalidJobTransition(msg_id, m.JobState(job["state"]), m.JobState.DISPATCHED)
        if verdict == "pass":
            _dispatch(runtime, uow, account, job, at=at, settings=settings)
        else:
            if code not in m.REVIEW_FAILURE_CODES:
                raise InvalidRequest(
                    f"review code {code!r} is not one of {sorted(m.REVIEW_FAILURE_CODES)}"
                )
            _fail(uow, account, job, at=at, review_error=code)
        uow.commit()
        return job_json(uow.massend.job(msg_id), settings=settings, at=at)


def _admin_job(
    runtime: Runtime, uow: UnitOfWork, appid: str, msg_id: int
) -> tuple[dict[str, Any], dict[str, Any], m.MassSendSettings, datetime]:
    account = _account(uow, appid)
    uow.lock_tenant(account["tenant_id"])
    job = uow.massend.job(msg_id)
    if job is None or job["appid"] != appid:
        raise UnknownJob(appid, msg_id)
    return account, job, settings_of(account), tenant_now(runtime, uow, account["tenant_id"])


def account_events(
    runtime: Runtime, appid: str, since: datetime | None = None
) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        rows = uow.events.feed(tenant_ids=[account["tenant_id"]], limit=1000)
        out = []
        for event in rows:
            if since is not None and event.occurred_at < utc(since):
                continue
            out.append(
                {
                    "id": event.id,
                    "kind": event.kind,
                    "occurred_at": _iso(event.occurred_at),
                    "payload": event.payload,
                    "xml": event.body,
                    "target_url": event.target_url,
                    "delivery_status": event.delivery_status,
                    "attempts": [
                        {
                            "attempt": a["attempt"],
                            "at": _iso(a["attempted_at"]),
                            "http_status": a["http_status"],
                            "ok": a["ok"],
                            "error": a["error"],
                        }
                        for a in uow.events.attempts(event.id)
                    ],
                }
            )
    return out


@dataclass(frozen=True, slots=True)
class Reach:
    month: str
    total: int
    can_receive: int
    filtered: dict[str, int]
    sample: list[str]


def reach(
    runtime: Runtime,
    appid: str,
    *,
    is_to_all: bool = False,
    tag_id: int | None = None,
    openids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Who can still receive this month, for all, a tag or a list, without sending (issue §5)."""
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        at = tenant_now(runtime, uow, account["tenant_id"])
        if openids is not None:
            candidates = _candidates_for_openids(uow, appid, list(dict.fromkeys(openids)))
        elif is_to_all or tag_id is not None:
            if tag_id is not None and not _tag_exists(uow, appid, tag_id):
                raise _err(40152, f"tag {tag_id} does not exist on this account", "M6", "not_found")
            candidates = [_candidate(r) for r in uow.massend.current_in_scope(appid, tag_id)]
        else:
            raise InvalidRequest("name a target: is_to_all, tag_id or openids")
    never = [c.openid for c in candidates if c.status is m.FollowerStatus.NEVER]
    if never:
        raise _err(40003, f"{never[0]!r} never followed this account", "D15")
    screening = m.screen(
        candidates, settings=dataclasses.replace(settings, former_follower_in_list="filter")
    )
    month = month_label(at, settings.zone)
    at_cap: list[m.OpenId] = []
    cap = settings.follower_monthly_cap
    if cap is not None and screening.eligible:
        used = quota_counter(runtime).used(
            _bucket(appid, month, settings), [int(c.ordinal or 0) for c in screening.eligible]
        )
        at_cap = [c.openid for c, n in zip(screening.eligible, used, strict=True) if n >= cap]
    outcome = m.dispatch_outcome(screening, at_cap)
    return {
        "month": month,
        "total": outcome.counts.total,
        "can_receive": outcome.counts.filter_count,
        "filtered": outcome.breakdown(),
        "sample": list(outcome.attempted[:20]),
    }


def histogram(runtime: Runtime, appid: str, month: str | None = None) -> dict[str, Any]:
    """Followers by messages received in the month (0 … cap), for the dashboard."""
    with runtime.uow(readonly=True) as uow:
        account = _account(uow, appid)
        settings = settings_of(account)
        label = month or month_label(tenant_now(runtime, uow, account["tenant_id"]), settings.zone)
        followers = uow.massend.count_all(appid)
    counts = quota_counter(runtime).histogram(_bucket(appid, label, settings))
    cap = settings.follower_monthly_cap or 0
    top = max([cap, *counts]) if counts else cap
    bars = {n: counts.get(n, 0) for n in range(1, top + 1)}
    return {
        "month": label,
        "cap": settings.follower_monthly_cap,
        "bars": {0: max(followers - sum(bars.values()), 0), **bars},
    }


def demo_data(runtime: Runtime) -> dict[str, object]:
    """A demo service account with 1,000 followers, two tags and a few sends (idempotent)."""
    appid = "wx00000000000de111"
    with runtime.uow(readonly=True) as uow:
        existing = uow.massend.account(appid)
    if existing is None:
        create_account(
            runtime,
            NewAccount(
                type="service", appid=appid, secret="0" * 31 + "1", name="Demo service account"
            ),
        )
        followers = [
            {"openid": generated_openid(appid, i), "tags": ["vip"] if i % 10 == 0 else ["news"]}
            for i in range(1000)
        ]
        add_followers(runtime, appid, followers=followers)
        token = issue_token(
            runtime, grant_type="client_credential", appid=appid, secret="0" * 31 + "1"
        )["access_token"]
        with runtime.uow(readonly=True) as uow:
            vip = uow.massend.tag_by_name(appid, "vip")["tag_id"]
        sendall(
            runtime,
            token,
            {
                "filter": {"is_to_all": False, "tag_id": vip},
                "msgtype": "text",
                "text": {"content": "Welcome, VIPs"},
            },
        )
        send(
            runtime,
            token,
            {
                "touser": [f["openid"] for f in followers[:500]],
                "msgtype": "text",
                "text": {"content": "Spring sale"},
            },
        )
        web_send(
            runtime,
            appid,
            {
                "target": {"is_to_all": True},
                "msgtype": "text",
                "text": {"content": "Monthly digest"},
            },
        )
    return {
        "wechat account": appid,
        "wechat secret": "0" * 31 + "1",
        "wechat dashboard": f"/dashboard/wechat/{appid}",
    }
