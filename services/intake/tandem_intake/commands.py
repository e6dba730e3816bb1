"""Intake's use cases: one unit of work each (state change + outbox event + audit row commit
together).

Each takes the UnitOfWork, the caller (for scoping and the audit trail) and plain arguments or
a validated request schema, applies the rules in `domain`, emits events and commits. Another
partner's object is NotFound (404); a clash is Conflict (409); a broken rule is
`domain.RuleViolation`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from tandem_shared.db import utcnow
from tandem_shared.domain_errors import Conflict, NotFound
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
    Principal,
    hash_api_key,
    new_api_key,
    upsert_credentials,
)
from tandem_shared.service import Role as PrincipalRole

from . import domain
from .domain import ApplicationStatus, Candidate, Problem, ProgrammeRules
from .models import CREDENTIALS, Application, AuditEntry, Cohort, Participant, Programme
from .models import Partner as PartnerRow
from .personal_data import PersonalDataErased, Vault
from .schemas import CandidateIn, CohortIn, ProgrammeIn

PRODUCER = "intake"


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
        raise Conflict(detail) from exc


# ======================================================================== partners ===


async def register_partner(
    uow: UnitOfWork, slug: str, name: str, kind: str
) -> tuple[PartnerRow, str]:
    """The new partner and its API key (the key is never stored, only its digest)."""
    taken = await uow.session.scalar(select(PartnerRow.id).where(PartnerRow.slug == slug))
    if taken:
        raise Conflict(f"a partner with slug '{slug}' already exists")
    partner = PartnerRow(id=uuid.uuid4(), slug=slug, name=name, kind=kind)
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
    await commit_or_conflict(uow, f"a partner with slug '{slug}' already exists")
    return partner, api_key


async def list_partners(uow: UnitOfWork, limit: int, offset: int) -> list[PartnerRow]:
    rows = await uow.session.scalars(
        select(PartnerRow).order_by(PartnerRow.slug).limit(limit).offset(offset)
    )
    return list(rows)


# ====================================================================== programmes ===


async def owning_partner(uow: UnitOfWork, principal: Principal, requested: uuid.UUID | None):
    if principal.role is PrincipalRole.OPERATOR:
        if requested is None:
            raise domain.RuleViolation(
                [Problem("partner_id", "the operator must say which partner owns the programme")]
            )
        partner = await uow.session.get(PartnerRow, requested)
        if partner is None:
            raise NotFound("partner not found")
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


async def create_programme(uow: UnitOfWork, principal: Principal, body: ProgrammeIn) -> Programme:
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
        raise Conflict(f"this partner already has a programme with slug '{body.slug}'")
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
    return programme


async def list_programmes(
    uow: UnitOfWork, principal: Principal, partner_id: uuid.UUID | None, limit: int, offset: int
) -> list[Programme]:
    stmt = scoped(select(Programme), Programme, principal)
    if partner_id is not None:
        stmt = stmt.where(Programme.partner_id == partner_id)
    rows = await uow.session.scalars(
        stmt.order_by(Programme.created_at, Programme.id).limit(limit).offset(offset)
    )
    return list(rows)


async def get_programme(uow: UnitOfWork, principal: Principal, programme_id: uuid.UUID):
    stmt = scoped(select(Programme).where(Programme.id == programme_id), Programme, principal)
    programme = await uow.session.scalar(stmt)
    if programme is None:
        raise NotFound("programme not found")
    return programme


async def open_cohort(uow: UnitOfWork, principal: Principal, body: CohortIn) -> Cohort:
    programme = await get_programme(uow, principal, body.programme_id)
    domain.raise_if(
        domain.cohort_date_problems(body.applications_open, body.starts_on, body.ends_on)
    )
    taken = await uow.session.scalar(
        select(Cohort.id).where(Cohort.programme_id == programme.id, Cohort.slug == body.slug)
    )
    if taken:
        raise Conflict(f"this programme already has a cohort with slug '{body.slug}'")
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
    return cohort


async def list_cohorts(
    uow: UnitOfWork, principal: Principal, programme_id: uuid.UUID | None, limit: int, offset: int
) -> list[Cohort]:
    stmt = scoped(select(Cohort), Cohort, principal)
    if programme_id is not None:
        stmt = stmt.where(Cohort.programme_id == programme_id)
    rows = await uow.session.scalars(
        stmt.order_by(Cohort.starts_on, Cohort.id).limit(limit).offset(offset)
    )
    return list(rows)


async def get_cohort(uow: UnitOfWork, principal: Principal, cohort_id: uuid.UUID) -> Cohort:
    stmt = scoped(select(Cohort).where(Cohort.id == cohort_id), Cohort, principal)
    cohort = await uow.session.scalar(stmt)
    if cohort is None:
        raise NotFound("cohort not found")
    return cohort


# ==================================================================== applications ===


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


def envelope_for(application: Application, payload: EventPayload) -> EventEnvelope:
    return wrap(
        payload,
        partner_id=application.partner_id,
        subject_id=application.participant_id,
        programme_id=application.programme_id,
        cohort_id=application.cohort_id,
    )


async def submit(
    uow: UnitOfWork,
    principal: Principal,
    vault: Vault,
    body: CandidateIn,
    role: ParticipantRole,
    route: IntakeRoute,
    today: date | None = None,
) -> Application:
    """A mentor's application or a mentee's referral."""
    session = uow.session
    cohort = await session.scalar(
        select(Cohort).where(Cohort.id == body.cohort_id, Cohort.partner_id == principal.partner_id)
    )
    if cohort is None:
        raise NotFound("cohort not found")
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
            raise NotFound("participant not found")
        if participant.erased_at is not None:
            raise Conflict("this participant's data was erased; refer her as a new participant")
        open_one = await session.scalar(
            select(Application.id).where(
                Application.participant_id == participant.id,
                Application.cohort_id == cohort.id,
                Application.status.in_([s.value for s in domain.OPEN_STATUSES]),
            )
        )
        if open_one:
            raise Conflict(
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
    problems = domain.application_problems(rules, candidate, today or date.today())
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
    return application


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
        raise NotFound("application not found")
    return row[0], row[1]


async def _decide(
    uow: UnitOfWork, application: Application, target: ApplicationStatus, event: EventPayload
) -> Application:
    application.status = domain.transition(application.status, target).value
    application.decided_at = utcnow()
    uow.emit(envelope_for(application, event))
    await uow.commit()
    return application


async def accept(
    uow: UnitOfWork,
    principal: Principal,
    vault: Vault,
    application_id: uuid.UUID,
    checks_passed: bool,
    today: date | None = None,
) -> Application:
    application, participant = await load_application(uow, principal, application_id)
    domain.transition(application.status, ApplicationStatus.ACCEPTED)
    try:
        personal = vault.open(participant.wrapped_data_key, application.personal_data)
    except PersonalDataErased as exc:
        raise Conflict("this participant's data was erased; she cannot be accepted") from exc
    band = domain.age_band(date.fromisoformat(personal["date_of_birth"]), today or date.today())
    profile = MatchingProfile(**application.profile, age_band=band, checks_passed=checks_passed)
    application.checks_passed = checks_passed
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
    return await _decide(uow, application, ApplicationStatus.ACCEPTED, event)


async def waitlist(uow: UnitOfWork, principal: Principal, application_id: uuid.UUID) -> Application:
    application, _ = await load_application(uow, principal, application_id)
    event = ApplicationWaitlisted(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
    )
    return await _decide(uow, application, ApplicationStatus.WAITLISTED, event)


async def decline(
    uow: UnitOfWork, principal: Principal, application_id: uuid.UUID, reason_code: str
) -> Application:
    application, _ = await load_application(uow, principal, application_id)
    application.decline_reason = reason_code
    event = ApplicationDeclined(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
        reason_code=reason_code,
    )
    return await _decide(uow, application, ApplicationStatus.DECLINED, event)


async def withdraw(uow: UnitOfWork, principal: Principal, application_id: uuid.UUID) -> Application:
    application, _ = await load_application(uow, principal, application_id)
    event = ApplicationWithdrawn(
        application_id=application.id,
        participant_id=application.participant_id,
        role=ParticipantRole(application.role),
    )
    return await _decide(uow, application, ApplicationStatus.WITHDRAWN, event)


async def list_applications(
    uow: UnitOfWork,
    principal: Principal,
    vault: Vault,
    *,
    cohort_id: uuid.UUID | None,
    status: ApplicationStatus | None,
    role: ParticipantRole | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of application summaries with names (each name read is audited), and the
    total count."""
    where = [Application.partner_id == principal.partner_id]
    if cohort_id is not None:
        where.append(Application.cohort_id == cohort_id)
    if status is not None:
        where.append(Application.status == status.value)
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
    return items, total


async def read_application(
    uow: UnitOfWork, principal: Principal, vault: Vault, application_id: uuid.UUID
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


async def erase_participant(
    uow: UnitOfWork, principal: Principal, participant_id: uuid.UUID
) -> dict[str, Any]:
    """Right to erasure: destroy her data key (crypto-shredding) and blank her data."""
    participant = await uow.session.scalar(
        select(Participant).where(
            Participant.id == participant_id, Participant.partner_id == principal.partner_id
        )
    )
    if participant is None:
        raise NotFound("participant not found")
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
