"""Intake's HTTP API: partners (operator), programmes and cohorts, applications and referrals.

Routes are thin: rules live in domain.py, encryption in personal_data.py. Every command is
one unit of work (state change + outbox event + audit row commit together). Every query is
scoped to the caller's partner; another partner's object answers 404.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from tandem_shared.db import utcnow
from tandem_shared.events import EventEnvelope, EventPayload
from tandem_shared.events.intake import (
    ApplicationAccepted,
    ApplicationDeclined,
    ApplicationSubmitted,
    ApplicationWaitlisted,
    ApplicationWithdrawn,
    CohortOpened,
    MatchingProfile,
    ParticipantErased,
    PartnerRegistered,
    ProgrammeCreated,
    SchoolEmployerPartnership,
)
from tandem_shared.events.vocabulary import IntakeRoute, ProgrammeType
from tandem_shared.events.vocabulary import Role as ParticipantRole
from tandem_shared.messaging import UnitOfWork
from tandem_shared.service import (
    Coordinator,
    CurrentPrincipal,
    Operator,
    Principal,
    UoW,
    conflict,
    hash_api_key,
    new_api_key,
    not_found,
    upsert_credentials,
)
from tandem_shared.service import Role as PrincipalRole

from . import domain
from .domain import ApplicationStatus, Candidate, Problem, ProgrammeRules
from .models import CREDENTIALS, Application, AuditEntry, Cohort, Participant, Programme
from .models import Partner as PartnerRow
from .personal_data import PersonalDataErased, Vault
from .schemas import (
    AcceptIn,
    ApplicationDetail,
    ApplicationPage,
    ApplicationSummary,
    CandidateIn,
    CohortIn,
    CohortOut,
    DeclineIn,
    ErasureOut,
    PartnerCreated,
    PartnerIn,
    PartnerOut,
    ProgrammeIn,
    ProgrammeOut,
)

PRODUCER = "intake"
MAX_PAGE = 100


# -- dependencies ------------------------------------------------------------------------
def require_operator_or_coordinator(principal: CurrentPrincipal) -> Principal:
    if principal.role not in (PrincipalRole.OPERATOR, PrincipalRole.COORDINATOR):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="an operator's or a coordinator's key is required"
        )
    return principal


def get_vault(request: Request) -> Vault:
    return request.app.state.vault


Staff = Annotated[Principal, Depends(require_operator_or_coordinator)]
VaultDep = Annotated[Vault, Depends(get_vault)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0)]


# -- helpers -----------------------------------------------------------------------------
def scoped(stmt: Select, model: Any, principal: Principal) -> Select:
    """Operators see every partner's configuration; a partner only its own rows."""
    if principal.role is PrincipalRole.OPERATOR:
        return stmt
    return stmt.where(model.partner_id == principal.partner_id)


def wrap(payload: EventPayload, *, partner_id: uuid.UUID, subject_id: uuid.UUID, **ids: Any):
    return EventEnvelope.wrap(
        payload, producer=PRODUCER, partner_id=partner_id, subject_id=subject_id, **ids
    )


def audit(
    uow: UnitOfWork,
    principal: Principal,
    action: str,
    *,
    participant_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    **detail: Any,
) -> None:
    uow.session.add(
        AuditEntry(
            id=uuid.uuid4(),
            at=utcnow(),
            actor_role=principal.role.value,
            actor_partner_id=principal.partner_id,
            actor_slug=principal.partner_slug,
            action=action,
            participant_id=participant_id,
            application_id=application_id,
            detail=detail,
        )
    )


async def commit_or_conflict(uow: UnitOfWork, detail: str) -> None:
    try:
        await uow.commit()
    except IntegrityError as exc:
        await uow.rollback()
        raise conflict(detail) from exc


# ======================================================================== partners ===
partners = APIRouter(prefix="/partners", tags=["partners"])


def partner_out(p: PartnerRow) -> dict[str, Any]:
    return {
        "partner_id": p.id,
        "slug": p.slug,
        "name": p.name,
        "kind": p.kind,
        "created_at": p.created_at,
    }


@partners.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
async def register_partner(body: PartnerIn, _: Operator, uow: UoW) -> dict[str, Any]:
    """Register a partner charity or funder; its API key is in this response only."""
    taken = await uow.session.scalar(select(PartnerRow.id).where(PartnerRow.slug == body.slug))
    if taken:
        raise conflict(f"a partner with slug '{body.slug}' already exists")
    partner = PartnerRow(id=uuid.uuid4(), slug=body.slug, name=body.name, kind=body.kind)
    partner.created_at = utcnow()
    api_key = new_api_key()
    digest = hash_api_key(api_key)
    uow.session.add(partner)
    await upsert_credentials(
        uow.session,
        CREDENTIALS,
        partner_id=partner.id,
        slug=partner.slug,
        kind=partner.kind,
        api_key_sha256=digest,
    )
    event = PartnerRegistered(
        partner_id=partner.id, slug=partner.slug, kind=partner.kind, api_key_sha256=digest
    )
    uow.emit(wrap(event, partner_id=partner.id, subject_id=partner.id))
    await commit_or_conflict(uow, f"a partner with slug '{body.slug}' already exists")
    return {**partner_out(partner), "api_key": api_key}


@partners.get("", response_model=list[PartnerOut])
async def list_partners(
    _: Operator, uow: UoW, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    rows = await uow.session.scalars(
        select(PartnerRow).order_by(PartnerRow.slug).limit(limit).offset(offset)
    )
    return [partner_out(p) for p in rows]


# ====================================================================== programmes ===
programmes = APIRouter(tags=["programmes"])


def programme_out(p: Programme) -> dict[str, Any]:
    return {
        "programme_id": p.id,
        **{c: getattr(p, c) for c in ProgrammeOut.model_fields if c != "programme_id"},
    }


def cohort_out(c: Cohort) -> dict[str, Any]:
    return {
        "cohort_id": c.id,
        **{k: getattr(c, k) for k in CohortOut.model_fields if k != "cohort_id"},
    }


async def owning_partner(uow: UnitOfWork, principal: Principal, requested: uuid.UUID | None):
    if principal.role is PrincipalRole.OPERATOR:
        if requested is None:
            raise domain.RuleViolation(
                [Problem("partner_id", "the operator must say which partner owns the programme")]
            )
        partner = await uow.session.get(PartnerRow, requested)
        if partner is None:
            raise not_found("partner")
        if partner.kind != "charity":
            raise domain.RuleViolation(
                [Problem("partner_id", "programmes belong to charities, not funders")]
            )
        return partner.id
    if requested is not None and requested != principal.partner_id:
        raise domain.RuleViolation(
            [Problem("partner_id", "leave partner_id out: your key decides the partner")]
        )
    return principal.partner_id


@programmes.post("/programmes", status_code=status.HTTP_201_CREATED, response_model=ProgrammeOut)
async def create_programme(body: ProgrammeIn, principal: Staff, uow: UoW) -> dict[str, Any]:
    partner_id = await owning_partner(uow, principal, body.partner_id)
    partnerships = [(p.school_id, p.employer_ids) for p in body.partnerships]
    domain.raise_if(
        domain.programme_problems(
            body.programme_type, body.focus_areas, partnerships, body.matching_weights
        )
    )
    taken = await uow.session.scalar(
        select(Programme.id).where(Programme.partner_id == partner_id, Programme.slug == body.slug)
    )
    if taken:
        raise conflict(f"this partner already has a programme with slug '{body.slug}'")
    fields = body.model_dump(mode="json", exclude={"partner_id"})
    programme = Programme(id=uuid.uuid4(), partner_id=partner_id, **fields)
    programme.created_at = utcnow()
    uow.session.add(programme)
    event = ProgrammeCreated(
        programme_id=programme.id,
        **{k: v for k, v in fields.items() if k != "name" and k != "partnerships"},
        partnerships=[SchoolEmployerPartnership(**p) for p in fields["partnerships"]],
    )
    uow.emit(wrap(event, partner_id=partner_id, subject_id=programme.id, programme_id=programme.id))
    await commit_or_conflict(uow, f"this partner already has a programme '{body.slug}'")
    return programme_out(programme)


@programmes.get("/programmes", response_model=list[ProgrammeOut])
async def list_programmes(
    principal: Staff,
    uow: UoW,
    partner_id: uuid.UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    stmt = scoped(select(Programme), Programme, principal)
    if partner_id is not None:
        stmt = stmt.where(Programme.partner_id == partner_id)
    rows = await uow.session.scalars(
        stmt.order_by(Programme.created_at, Programme.id).limit(limit).offset(offset)
    )
    return [programme_out(p) for p in rows]


async def get_programme(uow: UnitOfWork, principal: Principal, programme_id: uuid.UUID):
    stmt = scoped(select(Programme).where(Programme.id == programme_id), Programme, principal)
    programme = await uow.session.scalar(stmt)
    if programme is None:
        raise not_found("programme")
    return programme


@programmes.get("/programmes/{programme_id}", response_model=ProgrammeOut)
async def read_programme(programme_id: uuid.UUID, principal: Staff, uow: UoW) -> dict[str, Any]:
    return programme_out(await get_programme(uow, principal, programme_id))


@programmes.post("/cohorts", status_code=status.HTTP_201_CREATED, response_model=CohortOut)
async def open_cohort(body: CohortIn, principal: Staff, uow: UoW) -> dict[str, Any]:
    programme = await get_programme(uow, principal, body.programme_id)
    domain.raise_if(
        domain.cohort_date_problems(body.applications_open, body.starts_on, body.ends_on)
    )
    taken = await uow.session.scalar(
        select(Cohort.id).where(Cohort.programme_id == programme.id, Cohort.slug == body.slug)
    )
    if taken:
        raise conflict(f"this programme already has a cohort with slug '{body.slug}'")
    cohort = Cohort(id=uuid.uuid4(), partner_id=programme.partner_id, **body.model_dump())
    uow.session.add(cohort)
    event = CohortOpened(cohort_id=cohort.id, **body.model_dump())
    uow.emit(
        wrap(
            event,
            partner_id=programme.partner_id,
            subject_id=programme.id,
            programme_id=programme.id,
            cohort_id=cohort.id,
        )
    )
    await commit_or_conflict(uow, f"this programme already has a cohort '{body.slug}'")
    return cohort_out(cohort)


@programmes.get("/cohorts", response_model=list[CohortOut])
async def list_cohorts(
    principal: Staff,
    uow: UoW,
    programme_id: uuid.UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    stmt = scoped(select(Cohort), Cohort, principal)
    if programme_id is not None:
        stmt = stmt.where(Cohort.programme_id == programme_id)
    rows = await uow.session.scalars(
        stmt.order_by(Cohort.starts_on, Cohort.id).limit(limit).offset(offset)
    )
    return [cohort_out(c) for c in rows]


@programmes.get("/cohorts/{cohort_id}", response_model=CohortOut)
async def read_cohort(cohort_id: uuid.UUID, principal: Staff, uow: UoW) -> dict[str, Any]:
    stmt = scoped(select(Cohort).where(Cohort.id == cohort_id), Cohort, principal)
    cohort = await uow.session.scalar(stmt)
    if cohort is None:
        raise not_found("cohort")
    return cohort_out(cohort)


# ==================================================================== applications ===
applications = APIRouter(tags=["applications"])


def summary(a: Application) -> dict[str, Any]:
    return {
        "application_id": a.id,
        "participant_id": a.participant_id,
        "programme_id": a.programme_id,
        "cohort_id": a.cohort_id,
        "role": a.role,
        "route": a.route,
        "status": a.status,
        "created_at": a.created_at,
        "decided_at": a.decided_at,
    }


async def submit(
    body: CandidateIn,
    role: ParticipantRole,
    route: IntakeRoute,
    principal: Principal,
    uow: UnitOfWork,
    vault: Vault,
) -> dict[str, Any]:
    session = uow.session
    cohort = await session.scalar(
        select(Cohort).where(Cohort.id == body.cohort_id, Cohort.partner_id == principal.partner_id)
    )
    if cohort is None:
        raise not_found("cohort")
    programme = await session.get(Programme, cohort.programme_id)
    participant = None
    if body.participant_id is not None:
        participant = await session.scalar(
            select(Participant).where(
                Participant.id == body.participant_id,
                Participant.partner_id == principal.partner_id,
            )
        )
        if participant is None:
            raise not_found("participant")
        if participant.erased_at is not None:
            raise conflict("this participant's data was erased; refer her as a new participant")
        open_one = await session.scalar(
            select(Application.id).where(
                Application.participant_id == participant.id,
                Application.cohort_id == cohort.id,
                Application.status.in_([s.value for s in domain.OPEN_STATUSES]),
            )
        )
        if open_one:
            raise conflict(
                f"this participant already has an open application ({open_one}) in this cohort"
            )

    rules = ProgrammeRules(
        programme_type=ProgrammeType(programme.programme_type),
        focus_areas=programme.focus_areas,
        partnerships={p["school_id"]: p["employer_ids"] for p in programme.partnerships},
        applications_open=cohort.applications_open,
        ends_on=cohort.ends_on,
    )
    candidate = Candidate(
        role=role,
        date_of_birth=body.date_of_birth,
        focus_area=body.focus_area,
        school_id=body.school_id,
        employer_id=body.employer_id,
        preferred_mentor_gender=body.preferred_mentor_gender,
        capacity=body.capacity,
    )
    problems = domain.application_problems(rules, candidate, date.today())
    if participant is not None and participant.id in body.conflict_participant_ids:
        problems.append(
            Problem("conflict_participant_ids", "a person cannot conflict with herself")
        )
    domain.raise_if(problems)

    if participant is None:
        participant = Participant(
            id=uuid.uuid4(), partner_id=principal.partner_id, wrapped_data_key=vault.new_data_key()
        )
        session.add(participant)
        await session.flush()  # no ORM relationship orders the inserts: write her row first
    now = utcnow()
    application = Application(
        id=uuid.uuid4(),
        partner_id=principal.partner_id,
        programme_id=programme.id,
        cohort_id=cohort.id,
        participant_id=participant.id,
        role=role.value,
        route=route.value,
        status=ApplicationStatus.SUBMITTED.value,
        personal_data=vault.seal(participant.wrapped_data_key, body.personal()),
        special_category=vault.seal(participant.wrapped_data_key, body.special()),
        profile=body.profile(),
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    audit(
        uow,
        principal,
        f"{route.value}.created",
        participant_id=participant.id,
        application_id=application.id,
    )
    event = ApplicationSubmitted(
        application_id=application.id, participant_id=participant.id, role=role, route=route
    )
    uow.emit(envelope_for(application, event))
    await uow.commit()
    return summary(application)


def envelope_for(application: Application, payload: EventPayload) -> EventEnvelope:
    return wrap(
        payload,
        partner_id=application.partner_id,
        subject_id=application.participant_id,
        programme_id=application.programme_id,
        cohort_id=application.cohort_id,
    )


@applications.post(
    "/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationSummary
)
async def submit_application(
    body: CandidateIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """A mentor applies."""
    return await submit(
        body, ParticipantRole.MENTOR, IntakeRoute.APPLICATION, principal, uow, vault
    )


@applications.post(
    "/referrals", status_code=status.HTTP_201_CREATED, response_model=ApplicationSummary
)
async def submit_referral(
    body: CandidateIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """A mentee is referred."""
    return await submit(body, ParticipantRole.MENTEE, IntakeRoute.REFERRAL, principal, uow, vault)


async def load_application(
    uow: UnitOfWork, principal: Principal, application_id: uuid.UUID
) -> tuple[Application, Participant]:
    row = (
        await uow.session.execute(
            select(Application, Participant)
            .join(Participant, Participant.id == Application.participant_id)
            .where(
                Application.id == application_id,
                Application.partner_id == principal.partner_id,
            )
        )
    ).first()
    if row is None:
        raise not_found("application")
    return row[0], row[1]


async def decide(
    uow: UnitOfWork, application: Application, target: ApplicationStatus, event: EventPayload
) -> dict[str, Any]:
    application.status = domain.transition(application.status, target).value
    application.decided_at = utcnow()
    uow.emit(envelope_for(application, event))
    await uow.commit()
    return summary(application)


@applications.post("/applications/{application_id}/accept", response_model=ApplicationSummary)
async def accept(
    application_id: uuid.UUID, body: AcceptIn, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    application, participant = await load_application(uow, principal, application_id)
    domain.transition(application.status, ApplicationStatus.ACCEPTED)
    try:
        personal = vault.open(participant.wrapped_data_key, application.personal_data)
    except PersonalDataErased as exc:
        raise conflict("this participant's data was erased; she cannot be accepted") from exc
    band = domain.age_band(date.fromisoformat(personal["date_of_birth"]), date.today())
    profile = MatchingProfile(
        **application.profile, age_band=band, checks_passed=body.checks_passed
    )
    application.checks_passed = body.checks_passed
    audit(
        uow,
        principal,
        "application.accepted",
        participant_id=participant.id,
        application_id=application.id,
        read=["date_of_birth"],
    )
    event = ApplicationAccepted(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
        profile=profile,
    )
    return await decide(uow, application, ApplicationStatus.ACCEPTED, event)


@applications.post("/applications/{application_id}/waitlist", response_model=ApplicationSummary)
async def waitlist(application_id: uuid.UUID, principal: Coordinator, uow: UoW) -> dict[str, Any]:
    application, _ = await load_application(uow, principal, application_id)
    event = ApplicationWaitlisted(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
    )
    return await decide(uow, application, ApplicationStatus.WAITLISTED, event)


@applications.post("/applications/{application_id}/decline", response_model=ApplicationSummary)
async def decline(
    application_id: uuid.UUID, body: DeclineIn, principal: Coordinator, uow: UoW
) -> dict[str, Any]:
    application, _ = await load_application(uow, principal, application_id)
    application.decline_reason = body.reason_code
    event = ApplicationDeclined(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
        reason_code=body.reason_code,
    )
    return await decide(uow, application, ApplicationStatus.DECLINED, event)


@applications.post("/applications/{application_id}/withdraw", response_model=ApplicationSummary)
async def withdraw(application_id: uuid.UUID, principal: Coordinator, uow: UoW) -> dict[str, Any]:
    application, _ = await load_application(uow, principal, application_id)
    event = ApplicationWithdrawn(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
    )
    return await decide(uow, application, ApplicationStatus.WITHDRAWN, event)


@applications.get("/applications", response_model=ApplicationPage)
async def list_applications(
    principal: Coordinator,
    uow: UoW,
    vault: VaultDep,
    cohort_id: uuid.UUID | None = None,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    role: ParticipantRole | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """One page of applications, with names but without contact or special-category data."""
    where = [Application.partner_id == principal.partner_id]
    if cohort_id is not None:
        where.append(Application.cohort_id == cohort_id)
    if status_ is not None:
        where.append(Application.status == status_.value)
    if role is not None:
        where.append(Application.role == role.value)
    total = await uow.session.scalar(select(func.count()).select_from(Application).where(*where))
    rows = await uow.session.execute(
        select(Application, Participant.wrapped_data_key)
        .join(Participant, Participant.id == Application.participant_id)
        .where(*where)
        .order_by(Application.created_at, Application.id)
        .limit(limit)
        .offset(offset)
    )
    items = []
    for application, wrapped_key in rows:
        try:
            name = vault.open(wrapped_key, application.personal_data)["full_name"]
        except PersonalDataErased:
            name = None
        else:
            audit(
                uow,
                principal,
                "application.listed",
                participant_id=application.participant_id,
                application_id=application.id,
                read=["full_name"],
            )
        items.append({**summary(application), "full_name": name})
    await uow.commit()
    return {"items": items, "limit": limit, "offset": offset, "total": total}


@applications.get("/applications/{application_id}", response_model=ApplicationDetail)
async def read_application(
    application_id: uuid.UUID, principal: Coordinator, uow: UoW, vault: VaultDep
) -> dict[str, Any]:
    """The full application, personal data decrypted. Every read is audited."""
    application, participant = await load_application(uow, principal, application_id)
    key = participant.wrapped_data_key
    try:
        personal = vault.open(key, application.personal_data)
        special = vault.open(key, application.special_category)
        erased = False
    except PersonalDataErased:
        personal = special = None
        erased = True
    else:
        audit(
            uow,
            principal,
            "application.read",
            participant_id=participant.id,
            application_id=application.id,
            read=sorted([*personal, *special]),
        )
        await uow.commit()
    return {
        **summary(application),
        "partner_id": application.partner_id,
        "checks_passed": application.checks_passed,
        "decline_reason": application.decline_reason,
        "profile": application.profile,
        "erased": erased,
        "personal_data": personal,
        "special_category": special,
    }


@applications.delete("/participants/{participant_id}", response_model=ErasureOut)
async def erase_participant(
    participant_id: uuid.UUID, principal: Coordinator, uow: UoW
) -> dict[str, Any]:
    """Right to erasure: destroy her data key (crypto-shredding) and blank her data."""
    participant = await uow.session.scalar(
        select(Participant).where(
            Participant.id == participant_id, Participant.partner_id == principal.partner_id
        )
    )
    if participant is None:
        raise not_found("participant")
    if participant.erased_at is not None:  # idempotent: already gone, nothing more to emit
        return {
            "participant_id": participant.id,
            "erased_at": participant.erased_at,
            "applications_blanked": 0,
        }
    participant.wrapped_data_key = None
    participant.erased_at = utcnow()
    blanked = await uow.session.execute(
        update(Application)
        .where(Application.participant_id == participant.id)
        .values(personal_data=None, special_category=None, profile={}, updated_at=utcnow())
    )
    audit(uow, principal, "participant.erased", participant_id=participant.id)
    uow.emit(
        wrap(
            ParticipantErased(participant_id=participant.id),
            partner_id=participant.partner_id,
            subject_id=participant.id,
        )
    )
    await uow.commit()
    return {
        "participant_id": participant.id,
        "erased_at": participant.erased_at,
        "applications_blanked": blanked.rowcount,
    }


ROUTERS = (partners, programmes, applications)
