"""Read side: a partner's figures per programme and cohort, from the counters."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import domain
from .models import NIL, CohortLabel, Counter, Fund, PartnerLabel, ProgrammeLabel

C = Counter.__table__


def _id(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == NIL else value


async def partner_report(
    session: AsyncSession, partner_id: uuid.UUID, *, suppress: bool = False
) -> dict[str, Any]:
    rows = (
        await session.execute(
            select(C.c.programme_id, C.c.cohort_id, C.c.metric, C.c.dim, C.c.value).where(
                C.c.partner_id == partner_id
            )
        )
    ).all()
    programmes = {
        r.programme_id: r.slug
        for r in (
            await session.execute(
                select(ProgrammeLabel.programme_id, ProgrammeLabel.slug).where(
                    ProgrammeLabel.partner_id == partner_id
                )
            )
        ).all()
    }
    cohorts = {
        r.cohort_id: r
        for r in (
            await session.execute(select(CohortLabel).where(CohortLabel.partner_id == partner_id))
        ).scalars()
    }
    by_cohort: dict[tuple[uuid.UUID, uuid.UUID], list] = defaultdict(list)
    by_programme: dict[uuid.UUID, list] = defaultdict(list)
    for r in rows:
        by_cohort[(r.programme_id, r.cohort_id)].append((r.metric, r.dim, r.value))
        by_programme[r.programme_id].append((r.metric, r.dim, r.value))
    for cohort in cohorts.values():  # opened cohorts show up even before any figure
        by_cohort.setdefault((cohort.programme_id, cohort.cohort_id), [])
        by_programme.setdefault(cohort.programme_id, [])
    for programme_id in programmes:
        by_programme.setdefault(programme_id, [])

    def figures(items) -> dict[str, Any]:
        return domain.build_figures(domain.sum_counts(items), suppress=suppress)

    out_programmes = []
    for programme_id in sorted(by_programme, key=lambda p: (p == NIL, str(p))):
        out_cohorts = [
            {
                "cohort_id": _id(cohort_id),
                "slug": cohorts[cohort_id].slug if cohort_id in cohorts else None,
                "figures": figures(items),
            }
            for (prog, cohort_id), items in sorted(
                by_cohort.items(), key=lambda kv: (kv[0][1] == NIL, str(kv[0][1]))
            )
            if prog == programme_id
        ]
        out_programmes.append(
            {
                "programme_id": _id(programme_id),
                "slug": programmes.get(programme_id),
                "figures": figures(by_programme[programme_id]),
                "cohorts": out_cohorts,
            }
        )
    partner = await session.get(PartnerLabel, partner_id)
    funds = (await session.execute(select(Fund).where(Fund.partner_id == partner_id))).scalars()
    return {
        "partner_id": partner_id,
        "slug": partner.slug if partner else None,
        "suppressed_below": domain.SUPPRESS_BELOW if suppress else None,
        "figures": figures([(r.metric, r.dim, r.value) for r in rows]),
        "programmes": out_programmes,
        "funds": [
            {
                "fund_id": f.fund_id,
                "slug": f.slug,
                "budget_pence": f.budget_pence,
                "remaining_pence": f.remaining_pence,
            }
            for f in funds
        ],
    }


async def cohort_report(
    session: AsyncSession, partner_id: uuid.UUID, cohort_id: uuid.UUID
) -> dict[str, Any] | None:
    """None when the cohort is not this partner's (or unknown): the caller answers 404."""
    if cohort_id == NIL:
        return None
    label = await session.get(CohortLabel, cohort_id)
    if label is not None and label.partner_id != partner_id:
        return None
    rows = (
        await session.execute(
            select(C.c.programme_id, C.c.metric, C.c.dim, C.c.value).where(
                C.c.partner_id == partner_id, C.c.cohort_id == cohort_id
            )
        )
    ).all()
    if label is None and not rows:
        return None
    programme_id = label.programme_id if label else rows[0].programme_id
    return {
        "cohort_id": cohort_id,
        "slug": label.slug if label else None,
        "programme_id": _id(programme_id),
        "figures": domain.build_figures(
            domain.sum_counts((r.metric, r.dim, r.value) for r in rows)
        ),
    }


async def gauge_rows(session: AsyncSession) -> list[tuple[str | None, str | None, str, str, int]]:
    """(partner slug, programme slug, metric, dim, value) for the Prometheus snapshot."""
    wanted = {m for m, _, _ in domain.GAUGES.values()} | {
        domain.BURSARIES_AWARDED,
        domain.BURSARY_AWARDED_PENCE,
    }
    stmt = (
        select(PartnerLabel.slug, ProgrammeLabel.slug, C.c.metric, C.c.dim, C.c.value)
        .select_from(C)
        .outerjoin(PartnerLabel, PartnerLabel.partner_id == C.c.partner_id)
        .outerjoin(ProgrammeLabel, ProgrammeLabel.programme_id == C.c.programme_id)
        .where(C.c.metric.in_(wanted))
    )
    return [tuple(r) for r in (await session.execute(stmt)).all()]
