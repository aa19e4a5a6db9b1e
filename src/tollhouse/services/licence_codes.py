"""WeCom activation codes: activation, queries, transfer, sharing, auto-activation, trials,
interception, reminders and the daily run (spec wecom-licences §2.5-§2.9, §4.3-§4.5).

The rules are the pure functions of ``domain/licence_codes.py``; this module loads entities,
calls them inside one transaction per command (tenant lock first) and saves what changed.

Schedules. One due-task chain per provider runs at 02:00 Asia/Shanghai (D33): it sweeps codes to
status 4 (L56) and plans the reminders (L62) and expiries that fall before the next run as due
tasks at their exact instants, so they fire when a test clock advances past them. The chain
starts with the provider's first code command (``ensure_schedules``).

The interception check (§4.5) reads from a per-process cache: per tenant (clock), per corp
(installs, auto-activation switch, free-code counts) and per member (flags and held codes).
Every commit through the runtime's engine bumps a generation number and so invalidates it;
a lookup costs a few dict reads and never grows with the number of members.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.licence_codes import (
    BASIC,
    INTEROP,
    NAMESPACE,
    REMINDER_LEAD,
    SCENE_OF,
    AccessDecision,
    ActivationCode,
    ActivationResult,
    ApiClass,
    BatchOutcome,
    CodeActivated,
    CodeAutoActivated,
    CodeEvent,
    CodeRules,
    CodeShared,
    CodesMerged,
    Install,
    LicenceInfo,
    LicenceTransferred,
    Member,
    ShareFailure,
    TransferResult,
    UserActiveInfo,
    activate_by_type,
    activate_code,
    auto_activation_wanted,
    batch_activate,
    batch_transfer,
    check_access,
    check_and_auto_activate,
    licence_info,
    refusal,
    require_batch_size,
    require_licence_type,
    share_codes,
    sweep_awaiting_transfer,
    trial_ending_reminder,
    user_active_info,
)
from tollhouse.domain.licences import OrderType, violation
from tollhouse.domain.periods import SHANGHAI, local_date, next_local_time, to_unix
from tollhouse.services import events
from tollhouse.services.licence_orders import Ctx, open_ctx, publish_callback
from tollhouse.services.licence_pricing import effective_settings
from tollhouse.services.licence_setup import require_corp, require_provider, tenant_id_of
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.wecom_callbacks import SIGNER, xml_body

DAILY: Final = "licence_codes.daily"
EXPIRING: Final = "licence_codes.licence_expiring"
EXPIRED: Final = "licence_codes.licence_expired"
TRIAL: Final = "licence_codes.trial_ending"
RULE_KEYS: Final = (
    "stack_cap_days",
    "transfer_cooldown_days",
    "transfer_merge",
    "auto_activate_lead_days",
    "trial_days",
)


def rules_of(provider: dict[str, Any]) -> CodeRules:
    """The D2-D5/D22 defaults, overridden by the provider's settings when present."""
    settings = effective_settings(provider)
    return CodeRules(**{k: settings[k] for k in RULE_KEYS if k in settings})


def all_failed(errcode: int, key: str, results: list[dict[str, Any]]) -> PlatformRuleViolation:
    """701024 keeps the per-item list (spec §4.1)."""
    return PlatformRuleViolation(
        errcode,
        "every item of the batch failed; see " + key,
        rule="D25",
        namespace=NAMESPACE,
        details={"items": {key: results}},
    )


def _touched(outcome_events: Iterable[CodeEvent]) -> set[str]:
    touched: set[str] = set()
    for event in outcome_events:
        if isinstance(event, CodesMerged):
            touched.update((event.from_active_code, event.to_active_code))
        elif isinstance(event, CodeActivated | LicenceTransferred | CodeShared | CodeAutoActivated):
            touched.add(event.active_code)
    return touched


def _settle_batch(
    uow: UnitOfWork,
    ctx: Ctx,
    outcome: Any,
    codes: Iterable[ActivationCode],
    *,
    result_key: str,
    rows: Callable[[], list[dict[str, Any]]],
) -> None:
    """A batch's end (D25): every item failed → its errcode with the per-item list, and nothing
    is written; otherwise save the codes the batch changed and commit."""
    if outcome.errcode:
        raise all_failed(outcome.errcode, result_key, rows())
    touched = _touched(outcome.events)
    _persist(uow, ctx, [c for c in codes if c.active_code in touched])
    uow.commit()


def _persist(uow: UnitOfWork, ctx: Ctx, codes: Iterable[ActivationCode]) -> None:
    """Save codes, plan their near reminders and mark the tenant active."""
    changed = list(codes)
    uow.codes.save(changed)
    _plan(uow, ctx, changed)
    uow.tenants.mark_activity(tenant_id_of(ctx.corpid))


# --- activation (L33-L42) -----------------------------------------------------------------------


def activate(
    runtime: Runtime, provider: str, corpid: str, active_code: str, userid: str
) -> ActivationCode:
    """`active_account`: L40, L37, L38, then bind (L35, L36)."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        code: ActivationCode | None = uow.codes.get(provider, active_code)
        if code is None:
            raise refusal(701021, "L40", active_code=active_code, corpid=corpid)
        member = uow.codes.member(provider, corpid, userid)
        held = uow.codes.held_by(provider, corpid, userid)
        activate_code(
            code,
            userid=userid,
            corpid=corpid,
            members={} if member is None else {userid: member},
            held=held,
            at=ctx.at,
            rules=rules_of(ctx.provider),
        )
        _persist(uow, ctx, [code, *held])
        uow.commit()
        return code


def batch_activate_codes(
    runtime: Runtime, provider: str, corpid: str, items: Sequence[tuple[str, str]]
) -> BatchOutcome[ActivationResult]:
    """`batch_active_account` (L41): valid items apply, each invalid one reports its errcode."""
    require_batch_size(len(items), rule="L41")
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        users = {u for _, u in items}
        codes = uow.codes.get_many(provider, [c for c, _ in items])
        codes.update((c.active_code, c) for c in uow.codes.held_by_members(provider, corpid, users))
        outcome = batch_activate(
            items,
            codes=codes,
            corpid=corpid,
            members=uow.codes.members(provider, corpid, users),
            at=ctx.at,
            rules=rules_of(ctx.provider),
        )
        _settle_batch(
            uow,
            ctx,
            outcome,
            codes.values(),
            result_key="active_result",
            rows=lambda: [
                {"active_code": r.active_code, "userid": r.userid, "errcode": r.errcode}
                for r in outcome.results
            ],
        )
        return outcome


def activate_type(
    runtime: Runtime, provider: str, corpid: str, userid: str, licence_type: int
) -> ActivationCode:
    """`active_account_by_type` (L42): the free code with the earliest deadline."""
    require_licence_type(licence_type)
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        member = uow.codes.member(provider, corpid, userid)
        held = uow.codes.held_by(provider, corpid, userid)
        first: ActivationCode | None = uow.codes.first_free(
            provider, corpid, licence_type, at=ctx.at
        )
        pool = [] if first is None else [first]
        activate_by_type(
            pool,
            userid=userid,
            licence_type=licence_type,
            corpid=corpid,
            members={} if member is None else {userid: member},
            held=held,
            at=ctx.at,
            rules=rules_of(ctx.provider),
        )
        _persist(uow, ctx, [*pool, *held])  # 701915 was raised when the pool was empty
        uow.commit()
        return pool[0]


# --- queries (L43, L44) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodesRead:
    found: list[ActivationCode]
    invalid: list[str]
    at: datetime


def read_codes(
    runtime: Runtime, provider: str, corpid: str, active_codes: Sequence[str]
) -> CodesRead:
    """`batch_get_active_info_by_code`: unknown, foreign or invalidated codes are invalid."""
    require_batch_size(len(active_codes), rule="L43")
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        require_corp(uow, provider, corpid)
        codes = uow.codes.get_many(provider, active_codes)
    found, invalid = [], []
    for active_code in active_codes:
        code = codes.get(active_code)
        if code is None or not code.is_visible_to(corpid):
            invalid.append(active_code)
        else:
            found.append(code)
    return CodesRead(found, invalid, ctx.at)


def read_code(
    runtime: Runtime, provider: str, corpid: str, active_code: str
) -> tuple[ActivationCode, datetime]:
    read = read_codes(runtime, provider, corpid, [active_code])
    if not read.found:
        raise refusal(701021, "L40", active_code=active_code, corpid=corpid)
    return read.found[0], read.at


@dataclass(frozen=True, slots=True)
class CodePage:
    codes: list[ActivationCode]
    has_more: bool
    next_cursor: str
    at: datetime


def list_active(
    runtime: Runtime, provider: str, corpid: str, *, cursor: str | None, limit: int
) -> CodePage:
    """`list_actived_account`: bound members of the corp, expired ones included (L43, L44)."""
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        require_corp(uow, provider, corpid)
        rows = uow.codes.list_bound(provider, corpid, after=cursor or None, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    return CodePage(rows, more, rows[-1].active_code if more and rows else "", ctx.at)


def user_info(runtime: Runtime, provider: str, corpid: str, userid: str) -> UserActiveInfo:
    """`get_active_info_by_user` (L43, D27)."""
    with runtime.uow(readonly=True) as uow:
        require_provider(uow, provider)
        require_corp(uow, provider, corpid)
        if uow.codes.member(provider, corpid, userid) is None:
            raise refusal(701019, "L43", userid=userid, corpid=corpid)
        held = uow.codes.held_by(provider, corpid, userid)
    return user_active_info(held, corpid=corpid)


# --- transfer (L45-L48) and sharing (L49-L51) ----------------------------------------------------


def transfer(
    runtime: Runtime, provider: str, corpid: str, pairs: Sequence[tuple[str, str]]
) -> BatchOutcome[TransferResult]:
    """`batch_transfer_license`: each pair all or nothing (D26); cooldown keyed to codes (D4)."""
    require_batch_size(len(pairs), rule="L48")
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        users = {u for pair in pairs for u in pair}
        codes = uow.codes.held_by_members(provider, corpid, users)
        outcome = batch_transfer(
            pairs,
            codes=codes,
            corpid=corpid,
            members=uow.codes.members(provider, corpid, users),
            at=ctx.at,
            rules=rules_of(ctx.provider),
        )
        _settle_batch(
            uow,
            ctx,
            outcome,
            codes,
            result_key="transfer_result",
            rows=lambda: [
                {
                    "handover_userid": r.handover_userid,
                    "takeover_userid": r.takeover_userid,
                    "errcode": r.errcode,
                }
                for r in outcome.results
            ],
        )
        return outcome


def share(
    runtime: Runtime,
    provider: str,
    from_corpid: str,
    to_corpid: str,
    active_codes: Sequence[str],
    *,
    link_type: int = 0,
) -> BatchOutcome[ShareFailure]:
    """`batch_share_active_code` (L49, L50): only failures are reported."""
    require_batch_size(len(active_codes), rule="L50")
    if link_type not in (0, 1):
        raise violation(
            40058, f"corp_link_type {link_type} must be 0 (上下游) or 1 (企业互联)", rule="L49"
        )
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, from_corpid)
        require_corp(uow, provider, to_corpid)
        link = uow.licences.link(provider, from_corpid, to_corpid)
        linked = link is not None and bool(link["app_shared"]) and link["link_type"] == link_type
        headcount = int(link["headcount"]) if link is not None else len(active_codes)
        codes = uow.codes.get_many(provider, active_codes)
        outcome = share_codes(
            active_codes,
            codes=codes,
            from_corpid=from_corpid,
            to_corpid=to_corpid,
            linked=linked,
            downstream_headcount=headcount,
            at=ctx.at,
        )
        _settle_batch(
            uow,
            ctx,
            outcome,
            codes.values(),
            result_key="share_result",
            rows=lambda: [
                {"active_code": f.active_code, "errcode": f.errcode, "errmsg": f.errmsg}
                for f in outcome.results
            ],
        )
        return outcome


# --- auto-activation switch (L52) -----------------------------------------------------------------


def set_auto_active(runtime: Runtime, provider: str, corpid: str, status: int) -> None:
    if status not in (0, 1):
        raise violation(40058, f"auto_active_status {status} must be 0 (off) or 1 (on)", rule="L52")
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        if not uow.licences.has_paid_order(
            provider, corpid, kinds=(OrderType.BUY, OrderType.RENEW)
        ):
            raise violation(
                701920,
                f"corp {corpid!r} has no paid licence order from provider "
                f"{provider!r}; buy and pay one before switching auto-activation",
                rule="L52",
            )
        uow.licences.update_corp(provider, corpid, auto_active_status=status)
        _plan(uow, ctx, [])
        uow.commit()


def get_auto_active(runtime: Runtime, provider: str, corpid: str) -> int:
    with runtime.uow(readonly=True) as uow:
        require_provider(uow, provider)
        return int(require_corp(uow, provider, corpid)["auto_active_status"])


# --- trials (L57, L58) ----------------------------------------------------------------------------


def install_of(row: dict[str, Any], corp: dict[str, Any]) -> Install:
    """An install row as the domain sees it; ``has_trial = false`` means no trial (L57)."""
    return Install(
        corpid=row["corpid"],
        suite_id=row["suite_id"],
        first_install_time=row["first_install_time"],
        license_status=int(row["license_status"]),
        license_check_time=row["license_check_time"],
        is_test_corp=bool(corp["is_test"]),
        migrated=not row["has_trial"],
    )


def _installed(
    uow: UnitOfWork, provider: str, corpid: str, suite_id: str, corp: dict[str, Any]
) -> tuple[Install, dict[str, Any]]:
    row = uow.licences.install(provider, corpid, suite_id)
    if row is None or not row["installed"]:
        raise violation(701924, f"app {suite_id!r} is not installed in corp {corpid!r}", rule="L58")
    return install_of(row, corp), row


def app_license_info(runtime: Runtime, provider: str, corpid: str, suite_id: str) -> LicenceInfo:
    """`get_app_license_info`: trial 90 days from the first install; check time (L57, L58)."""
    with runtime.uow(readonly=True) as uow:
        provider_row = require_provider(uow, provider)
        corp = require_corp(uow, provider, corpid)
        install, _ = _installed(uow, provider, corpid, suite_id, corp)
    ensure_schedules(runtime, provider)
    return licence_info(install, rules=rules_of(provider_row))


# --- the interception check (L59, L60, L53-L55) --------------------------------------------


@dataclass(slots=True)
class _TenantView:
    gen: int
    sandbox: bool
    clock_now: datetime | None
    rules: CodeRules

    def now(self, runtime: Runtime) -> datetime:
        """The instant the check evaluates at: the test clock, or the real one (as tenant_now)."""
        return self.clock_now if self.sandbox and self.clock_now else runtime.system_clock.now()


@dataclass(slots=True)
class _CorpView:
    gen: int
    auto_on: bool
    infos: dict[str, tuple[LicenceInfo, int]]  # suite → (info, agentid)
    free: dict[int, int] | None = None  # type → unbound codes; read only when auto-activating


@dataclass
class CheckCache:
    """Per-process read cache of the check; any commit through the engine invalidates it."""

    tenants: dict[str, _TenantView] = field(default_factory=dict)
    corps: dict[tuple[str, str], _CorpView] = field(default_factory=dict)
    members: dict[tuple[str, str, str], tuple[int, Member | None, tuple[ActivationCode, ...]]] = (
        field(default_factory=dict)
    )
    notified: dict[date, set[tuple[str, str, str]]] = field(default_factory=dict)
    _counter: Any = field(default_factory=lambda: itertools.count(1))
    gen: int = 0

    def bump(self, *_: object) -> None:
        self.gen = next(self._counter)

    def was_notified(self, day: date, key: tuple[str, str, str]) -> bool:
        return key in self.notified.get(day, ())

    def mark_notified(self, day: date, key: tuple[str, str, str]) -> None:
        if day not in self.notified:
            self.notified = {day: set()}  # earlier days can never be asked again
        self.notified[day].add(key)


def check_cache(runtime: Runtime) -> CheckCache:
    cache: CheckCache = runtime.extras["licence_check_cache"]
    return cache


def _tenant_view(runtime: Runtime, cache: CheckCache, provider: str, gen: int) -> _TenantView:
    view = cache.tenants.get(provider)
    if view is None or view.gen != gen:
        with runtime.uow(readonly=True) as uow:
            row = require_provider(uow, provider)
            tenant = uow.tenants.get(tenant_id_of(provider))
        view = _TenantView(gen, bool(tenant.sandbox), tenant.clock_now, rules_of(row))
        cache.tenants[provider] = view
    return view


def _corp_view(runtime: Runtime, cache: CheckCache, key: tuple[str, str], *, gen: int) -> _CorpView:
    provider, corpid = key
    view = cache.corps.get((provider, corpid))
    if view is None or view.gen != gen:
        with runtime.uow(readonly=True) as uow:
            corp = require_corp(uow, provider, corpid)
            rules = rules_of(require_provider(uow, provider))
            infos = {
                row["suite_id"]: (
                    licence_info(install_of(row, corp), rules=rules),
                    int(row["agentid"]),
                )
                for row in uow.licences.installs(provider, corpid)
                if row["installed"]
            }
        view = _CorpView(gen, bool(corp["auto_active_status"]), infos)
        cache.corps[(provider, corpid)] = view
    return view


def _member_view(
    runtime: Runtime, cache: CheckCache, key: tuple[str, str, str], gen: int
) -> tuple[Member | None, tuple[ActivationCode, ...]]:
    hit = cache.members.get(key)
    if hit is None or hit[0] != gen:
        with runtime.uow(readonly=True) as uow:
            member = uow.codes.member(*key)
            held = tuple(uow.codes.held_by(*key)) if member is not None else ()
        hit = (gen, member, held)
        cache.members[key] = hit
    return hit[1], hit[2]


def warm_check_cache(runtime: Runtime, provider: str, corpid: str) -> int:
    """Load every member of a corp into the check cache in two queries; returns the count."""
    cache = check_cache(runtime)
    gen = cache.gen
    with runtime.uow(readonly=True) as uow:
        members = uow.codes.all_members(provider, corpid)
        codes = uow.codes.bound_in(provider, corpid)
    held: dict[str, list[ActivationCode]] = {}
    for code in codes:
        held.setdefault(code.userid or "", []).append(code)
    for userid, member in members.items():
        cache.members[(provider, corpid, userid)] = (gen, member, tuple(held.get(userid, ())))
    return len(members)


@dataclass(frozen=True, slots=True)
class CheckRequest:
    provider: str
    corpid: str
    suite_id: str
    userid: str
    api_class: ApiClass


def check(runtime: Runtime, req: CheckRequest) -> AccessDecision:
    """`/v1/wecom/licences/check`: allowed or blocked with the reason; may auto-activate (L53)
    and push `unlicensed_notify` once per member per local day (L60)."""
    cache = check_cache(runtime)
    gen = cache.gen
    tenant = _tenant_view(runtime, cache, req.provider, gen)
    at = tenant.now(runtime)
    corp = _corp_view(runtime, cache, (req.provider, req.corpid), gen=gen)
    found = corp.infos.get(req.suite_id)
    if found is None:
        raise violation(
            701924, f"app {req.suite_id!r} is not installed in corp {req.corpid!r}", rule="L58"
        )
    info, agentid = found
    member, held = _member_view(runtime, cache, (req.provider, req.corpid, req.userid), gen)
    if member is None:
        raise refusal(701019, "L59", userid=req.userid, corpid=req.corpid)
    scene = SCENE_OF[req.api_class]
    if (
        corp.auto_on
        and auto_activation_wanted(
            member, held, scene=scene, info=info, auto_active_on=True, at=at, rules=tenant.rules
        )
        and _has_free_codes(runtime, corp, req, at)
    ):
        return _check_and_activate(runtime, req)
    decision = check_access(info, member, held, userid=req.userid, api_class=req.api_class, at=at)
    if decision.notify_unlicensed:
        _notify_unlicensed(runtime, req, at=at, agentid=agentid)
    return decision


def check_if_cached(runtime: Runtime, req: CheckRequest) -> AccessDecision | None:
    """The check answered from memory alone, or None when it needs the database (a cold cache,
    auto-activation, or a first `unlicensed_notify` of the day). Lets the HTTP route answer on
    the event loop without a thread hop; `check` gives the same decision."""
    cache = check_cache(runtime)
    gen = cache.gen
    tenant = cache.tenants.get(req.provider)
    corp = cache.corps.get((req.provider, req.corpid))
    hit = cache.members.get((req.provider, req.corpid, req.userid))
    if (
        tenant is None
        or tenant.gen != gen
        or corp is None
        or corp.gen != gen
        or corp.auto_on
        or hit is None
        or hit[0] != gen
        or hit[1] is None
    ):
        return None
    found = corp.infos.get(req.suite_id)
    if found is None:
        return None
    at = tenant.now(runtime)
    decision = check_access(
        found[0], hit[1], hit[2], userid=req.userid, api_class=req.api_class, at=at
    )
    if decision.notify_unlicensed and not cache.was_notified(
        local_date(at, SHANGHAI), (req.provider, req.corpid, req.userid)
    ):
        return None
    return decision


def _has_free_codes(runtime: Runtime, corp: _CorpView, req: CheckRequest, at: datetime) -> bool:
    """Whether an unbound code may be left to auto-activate; counted once per generation."""
    if corp.free is None:
        with runtime.uow(readonly=True) as uow:
            corp.free = uow.codes.free_count(req.provider, req.corpid, at=at)
    return bool(corp.free.get(BASIC, 0) + corp.free.get(INTEROP, 0))


def _check_and_activate(runtime: Runtime, req: CheckRequest) -> AccessDecision:
    """The write path of the check: fresh reads under the tenant lock, then auto-activation."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, req.provider)
        corp = require_corp(uow, req.provider, req.corpid)
        install, row = _installed(uow, req.provider, req.corpid, req.suite_id, corp)
        rules = rules_of(ctx.provider)
        member = uow.codes.member(req.provider, req.corpid, req.userid)
        held = uow.codes.held_by(req.provider, req.corpid, req.userid)

        def pool() -> list[ActivationCode]:
            picks = (
                uow.codes.first_free(req.provider, req.corpid, t, at=ctx.at)
                for t in (BASIC, INTEROP)
            )
            return [c for c in picks if c is not None]

        decision, auto = check_and_auto_activate(
            licence_info(install, rules=rules),
            member,
            held,
            userid=req.userid,
            api_class=req.api_class,
            corpid=req.corpid,
            auto_active_on=bool(corp["auto_active_status"]),
            pool=pool,
            at=ctx.at,
            rules=rules,
        )
        if auto is not None:
            _persist(uow, ctx, [auto.code, *held])
            _auto_activate_callback(uow, ctx, auto.events[0])
        if decision.notify_unlicensed:
            _publish_unlicensed(uow, ctx, req, agentid=int(row["agentid"]))
        uow.commit()
    return decision


def _auto_activate_callback(uow: UnitOfWork, ctx: Ctx, event: CodeEvent) -> None:
    """L54: one `auto_activate` callback per activation, with PreviousStatus."""
    assert isinstance(event, CodeAutoActivated)  # noqa: S101 - auto.events[0] by contract
    account: dict[str, Any] = {
        "ActiveCode": event.active_code,
        "Type": event.type,
        "ExpireTime": to_unix(event.expire_time),
        "UserId": event.userid,
        "PreviousStatus": event.previous_status,
    }
    if event.previous_active_code is not None:
        account["PreviousActiveCode"] = event.previous_active_code
    fields = {
        "ServiceCorpId": ctx.corpid,
        "InfoType": "auto_activate",
        "AuthCorpId": event.corpid,
        "Scene": event.scene,
        "TimeStamp": to_unix(event.at),
        "AccountList": account,
    }
    publish_callback(
        uow,
        ctx,
        "auto_activate",
        fields,
        dedupe_key=f"auto_activate:{ctx.corpid}:{event.active_code}",
    )


def _notify_key(req: CheckRequest, at: datetime) -> tuple[date, str]:
    day = local_date(at, SHANGHAI)
    return day, f"unlicensed_notify:{req.provider}:{req.corpid}:{req.userid}:{day.isoformat()}"


def _notify_unlicensed(runtime: Runtime, req: CheckRequest, *, at: datetime, agentid: int) -> None:
    """At most once per member per local day: remembered in memory, deduplicated in the feed."""
    cache = check_cache(runtime)
    day, _ = _notify_key(req, at)
    who = (req.provider, req.corpid, req.userid)
    if cache.was_notified(day, who):
        return
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, req.provider)
        if _publish_unlicensed(uow, ctx, req, agentid=agentid):
            uow.commit()
    cache.mark_notified(day, who)


def _publish_unlicensed(uow: UnitOfWork, ctx: Ctx, req: CheckRequest, *, agentid: int) -> bool:
    """L60 / §4.4: the app event, to the provider's callback URL (receive id: the suite)."""
    _, key = _notify_key(req, ctx.at)
    fields = {
        "ToUserName": req.corpid,
        "FromUserName": req.userid,
        "CreateTime": to_unix(ctx.at),
        "MsgType": "event",
        "Event": "unlicensed_notify",
        "AgentID": agentid,
    }
    event_id = events.publish(
        uow,
        tenant_id=tenant_id_of(ctx.corpid),
        kind="unlicensed_notify",
        at=ctx.at,
        payload={
            "signer": SIGNER,
            "fields": fields,
            "receive_id": req.suite_id,
            "suite_id": req.suite_id,
        },
        target_url=ctx.provider.get("callback_url"),
        content_type="text/xml",
        body=xml_body(fields),
        dedupe_key=key,
    )
    return event_id is not None


def open_app(
    runtime: Runtime, provider: str, corpid: str, suite_id: str, userid: str
) -> AccessDecision:
    """Sandbox `open_app`: scene 1 (L53), may push `unlicensed_notify` (L60)."""
    ensure_schedules(runtime, provider)
    return check(runtime, CheckRequest(provider, corpid, suite_id, userid, ApiClass.BASIC))


# --- schedules: the daily run (D33), reminders (L62) and expiries --------------------------------


def _task(
    due: datetime, kind: str, payload: dict[str, Any], key: str
) -> tuple[datetime, str, dict[str, Any], str]:
    return due, kind, payload, key


def _code_tasks(
    code: ActivationCode, *, at: datetime, horizon: datetime
) -> list[tuple[datetime, str, dict[str, Any], str]]:
    """The reminder (L62) and expiry of a code when their instants fall before ``horizon``."""
    expire = code.expire_time
    if expire is None or code.merged_into is not None or code.userid is None or expire <= at:
        return []
    stamp = to_unix(expire)
    payload = {"provider": code.provider_id, "active_code": code.active_code, "expire": stamp}
    tasks = []
    remind = expire - REMINDER_LEAD
    if code.expiring_reminder_for != expire and remind <= horizon:
        tasks.append(
            _task(max(remind, at), EXPIRING, payload, f"{EXPIRING}:{code.active_code}:{stamp}")
        )
    if expire <= horizon:
        tasks.append(_task(expire, EXPIRED, payload, f"{EXPIRED}:{code.active_code}:{stamp}"))
    return tasks


def _next_run(at: datetime) -> datetime:
    return next_local_time(at, CodeRules().daily_run_time, SHANGHAI)


def _plan(uow: UnitOfWork, ctx: Ctx, codes: Iterable[ActivationCode]) -> None:
    """Schedule what falls before the next daily run; make sure that run is scheduled."""
    horizon = _next_run(ctx.at)
    tasks = [t for c in codes for t in _code_tasks(c, at=ctx.at, horizon=horizon)]
    tasks.append(
        _task(horizon, DAILY, {"provider": ctx.corpid}, f"{DAILY}:{ctx.corpid}:{to_unix(horizon)}")
    )
    uow.codes.schedule(tenant_id_of(ctx.corpid), tasks)


def _plan_all(uow: UnitOfWork, ctx: Ctx) -> int:
    """Reminders and expiries of every code, and trial reminders, due before the next run."""
    horizon = _next_run(ctx.at)
    codes = uow.codes.expiring(ctx.corpid, after=ctx.at, until=horizon + REMINDER_LEAD)
    tasks = [t for c in codes for t in _code_tasks(c, at=ctx.at, horizon=horizon)]
    corps = {c["corpid"]: c for c in uow.codes.corps(ctx.corpid)}
    rules = rules_of(ctx.provider)
    for row in uow.codes.installs(ctx.corpid):
        corp = corps.get(row["corpid"])
        if corp is None or not row["installed"]:
            continue
        reminder = trial_ending_reminder(install_of(row, corp), rules=rules)
        if reminder is None or reminder.license_check_time <= ctx.at or reminder.at > horizon:
            continue
        check_at = to_unix(reminder.license_check_time)
        tasks.append(
            _task(
                max(reminder.at, ctx.at),
                TRIAL,
                {
                    "provider": ctx.corpid,
                    "corpid": row["corpid"],
                    "suite_id": row["suite_id"],
                    "check": check_at,
                },
                f"{TRIAL}:{ctx.corpid}:{row['corpid']}:{row['suite_id']}:{check_at}",
            )
        )
    tasks.append(
        _task(horizon, DAILY, {"provider": ctx.corpid}, f"{DAILY}:{ctx.corpid}:{to_unix(horizon)}")
    )
    return int(uow.codes.schedule(tenant_id_of(ctx.corpid), tasks))


def ensure_schedules(runtime: Runtime, provider: str) -> None:
    """Start the provider's daily chain (once per process) and plan what is near."""
    started: set[str] = runtime.extras.setdefault("licence_codes_chains", set())
    if provider in started:
        return
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        if _plan_all(uow, ctx):
            uow.commit()
    started.add(provider)


def _sweep(uow: UnitOfWork, ctx: Ctx) -> int:
    """D33/L56: status 4 for codes of members who left or left the visible range."""
    changed = 0
    for corp in uow.codes.corps(ctx.corpid):
        auto_on = bool(corp["auto_active_status"])
        codes = uow.codes.bound_in(ctx.corpid, corp["corpid"], only_awaiting=not auto_on)
        if not codes:
            continue
        members = uow.codes.all_members(ctx.corpid, corp["corpid"])
        moved = sweep_awaiting_transfer(
            codes, members, corpid=corp["corpid"], auto_active_on=auto_on, at=ctx.at
        )
        names = {e.active_code for e in moved if hasattr(e, "active_code")}
        changed += uow.codes.save([c for c in codes if c.active_code in names])
    return changed


def daily(
    runtime: Runtime,  # noqa: ARG001 - the TaskHandler signature
    uow: UnitOfWork,
    payload: dict[str, Any],
    at: datetime,
) -> str:
    """The 02:00 run: status-4 sweep, then plan the next day's reminders and the next run."""
    provider = require_provider(uow, str(payload["provider"]))
    ctx = Ctx(provider, effective_settings(provider), at)
    swept = _sweep(uow, ctx)
    planned = _plan_all(uow, ctx)
    return f"daily run: {swept} codes changed status, {planned} tasks planned"


def run_daily(runtime: Runtime, provider: str) -> dict[str, int]:
    """Sandbox `run_daily`: the D33 sweep at once, at the tenant's current time."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        swept = _sweep(uow, ctx)
        planned = _plan_all(uow, ctx)
        uow.commit()
    runtime.extras.setdefault("licence_codes_chains", set()).add(provider)
    return {"codes_changed": swept, "tasks_planned": planned}


def _current(uow: UnitOfWork, payload: dict[str, Any]) -> ActivationCode | None:
    code: ActivationCode | None = uow.codes.get(payload["provider"], payload["active_code"])
    if code is None or code.merged_into is not None or code.expire_time is None:
        return None
    return code


def _replan(uow: UnitOfWork, code: ActivationCode, at: datetime) -> str:
    """A renewal moved expire_time (L25): plan the new instants if they come before the run."""
    provider = require_provider(uow, code.provider_id)
    _plan(uow, Ctx(provider, effective_settings(provider), at), [code])
    return f"code {code.active_code} now expires at {code.expire_time}; re-planned"


def engine_webhook_url(provider: dict[str, Any]) -> str | None:
    """Engine events (reminders, expiries) are not WeCom callbacks: they go to the provider's
    `settings.engine_webhook_url` when one is set, and are always in the event feed."""
    url = (provider.get("settings") or {}).get("engine_webhook_url")
    return str(url) if url else None


def _code_event(uow: UnitOfWork, code: ActivationCode, kind: str, at: datetime) -> None:
    provider = require_provider(uow, code.provider_id)
    expire = code.expire_time or at
    body = {
        "active_code": code.active_code,
        "corpid": code.bound_corpid,
        "userid": code.userid,
        "type": code.type,
        "expire_time": to_unix(expire),
        "at": to_unix(at),
    }
    events.publish(
        uow,
        tenant_id=tenant_id_of(code.provider_id),
        kind=kind,
        at=at,
        payload=body,
        target_url=engine_webhook_url(provider),
        content_type="application/json",
        body=json.dumps(body),
        dedupe_key=f"{kind}:{code.active_code}:{to_unix(expire)}",
    )


def remind_expiring(
    runtime: Runtime,  # noqa: ARG001 - the TaskHandler signature
    uow: UnitOfWork,
    payload: dict[str, Any],
    at: datetime,
) -> str:
    """`licence_expiring` 7 days before expire_time, once per code per expiry (L62)."""
    code = _current(uow, payload)
    if code is None or code.expire_time is None:
        return "code merged or gone; nothing to remind"
    if to_unix(code.expire_time) != payload["expire"]:
        return _replan(uow, code, at)
    if code.expiring_reminder_for == code.expire_time:
        return "already reminded"
    _code_event(uow, code, "licence_expiring", at)
    code.expiring_reminder_for = code.expire_time
    uow.codes.save([code])
    return f"licence_expiring for {code.active_code}"


def record_expiry(
    runtime: Runtime,  # noqa: ARG001 - the TaskHandler signature
    uow: UnitOfWork,
    payload: dict[str, Any],
    at: datetime,
) -> str:
    """`licence_expired` at expire_time (D31: the code reads as status 3 from then on)."""
    code = _current(uow, payload)
    if code is None or code.expire_time is None:
        return "code merged or gone"
    if to_unix(code.expire_time) != payload["expire"]:
        return _replan(uow, code, at)
    _code_event(uow, code, "licence_expired", at)
    return f"licence_expired for {code.active_code}"


def remind_trial(
    runtime: Runtime,  # noqa: ARG001 - the TaskHandler signature
    uow: UnitOfWork,
    payload: dict[str, Any],
    at: datetime,
) -> str:
    """`trial_ending` 7 days before license_check_time, per (corp, app) (L62)."""
    provider = str(payload["provider"])
    corp = uow.licences.corp(provider, payload["corpid"])
    row = uow.licences.install(provider, payload["corpid"], payload["suite_id"])
    if corp is None or row is None or not row["installed"]:
        return "app no longer installed"
    reminder = trial_ending_reminder(
        install_of(row, corp), rules=rules_of(require_provider(uow, provider))
    )
    if reminder is None or to_unix(reminder.license_check_time) != payload["check"]:
        return "check time changed; the daily run plans the new one"
    body = {
        "corpid": reminder.corpid,
        "suite_id": reminder.suite_id,
        "license_check_time": payload["check"],
        "at": to_unix(at),
    }
    events.publish(
        uow,
        tenant_id=tenant_id_of(provider),
        kind="trial_ending",
        at=at,
        payload=body,
        target_url=engine_webhook_url(require_provider(uow, provider)),
        content_type="application/json",
        body=json.dumps(body),
        dedupe_key=f"trial_ending:{provider}:{reminder.corpid}:{reminder.suite_id}:"
        f"{payload['check']}",
    )
    return f"trial_ending for {reminder.corpid}/{reminder.suite_id}"


# --- operator views (CLI, dashboard) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Inventory:
    at: datetime
    codes: list[ActivationCode]
    members: dict[str, Member]
    auto_active_status: int


def inventory(runtime: Runtime, provider: str, corpid: str) -> Inventory:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        corp = require_corp(uow, provider, corpid)
        codes = uow.codes.visible_to(provider, corpid)
        members = uow.codes.all_members(provider, corpid)
    return Inventory(ctx.at, codes, members, int(corp["auto_active_status"]))


def expiring_codes(
    runtime: Runtime, provider: str, *, within_days: int, corpid: str | None = None
) -> tuple[datetime, list[ActivationCode]]:
    """Valid codes whose expire_time falls in the next ``within_days`` days."""
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        codes = uow.codes.expiring(
            provider, after=ctx.at, until=ctx.at + timedelta(days=within_days), corpid=corpid
        )
    return ctx.at, codes


# --- wiring ----------------------------------------------------------------------------------


def install(runtime: Runtime) -> None:
    """Register the due-task handlers and the check cache's invalidation on every commit."""
    runtime.register(DAILY, daily)
    runtime.register(EXPIRING, remind_expiring)
    runtime.register(EXPIRED, record_expiry)
    runtime.register(TRIAL, remind_trial)
    cache = CheckCache()
    runtime.extras["licence_check_cache"] = cache
    engine = runtime.extras.get("engine")
    if engine is not None:
        from sqlalchemy import event  # noqa: PLC0415 - adapters stay out of module scope

        event.listen(engine, "commit", cache.bump)


DEMO_CORP: Final = "wwdemo-acme"


def demo_data(runtime: Runtime) -> dict[str, object]:
    """Bind a few demo codes in the demo corp (idempotent): pay one order, activate 5 members."""
    from tollhouse.demo import PROVIDER  # noqa: PLC0415 - the demo module imports this one
    from tollhouse.domain.licences import Duration  # noqa: PLC0415
    from tollhouse.services import licence_orders as orders  # noqa: PLC0415

    with runtime.uow(readonly=True) as uow:
        if (
            uow.licences.provider(PROVIDER) is None
            or uow.licences.corp(PROVIDER, DEMO_CORP) is None
        ):
            return {}
        if uow.codes.bound_in(PROVIDER, DEMO_CORP):
            return {"licence_codes": f"{DEMO_CORP} already has bound codes"}
    order = orders.create_new_order(
        runtime, PROVIDER, orders.NewOrder(DEMO_CORP, "admin1", 8, 2, Duration(1, 0))
    )
    orders.pay_order(runtime, PROVIDER, order.order_id)
    for i in range(1, 6):
        activate_type(runtime, PROVIDER, DEMO_CORP, f"user{i:03d}", BASIC)
    activate_type(runtime, PROVIDER, DEMO_CORP, "user001", INTEROP)
    return {
        "licence_codes": f"{DEMO_CORP}: 6 codes bound, 4 left unbound (order {order.order_id})",
        "licence_inventory": f"/dashboard/licences/codes?provider={PROVIDER}&corpid={DEMO_CORP}",
    }


__all__ = [
    "CheckCache",
    "CheckRequest",
    "CodePage",
    "CodesRead",
    "Inventory",
    "activate",
    "activate_type",
    "app_license_info",
    "batch_activate_codes",
    "check",
    "daily",
    "ensure_schedules",
    "expiring_codes",
    "get_auto_active",
    "inventory",
    "list_active",
    "open_app",
    "read_code",
    "read_codes",
    "run_daily",
    "set_auto_active",
    "share",
    "transfer",
    "user_info",
    "warm_check_cache",
]
