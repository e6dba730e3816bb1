"""Every service's local copy of partner credentials, kept from `partner.registered`."""

from __future__ import annotations

from sqlalchemy import Table

from ..events.envelope import EventEnvelope
from ..events.intake import PartnerRegistered
from ..events.topics import PARTNERS
from ..messaging.consumer import ConsumerSpec
from ..messaging.unit_of_work import UnitOfWork
from .auth import upsert_credentials


def partner_directory_consumer(service: str, table: Table) -> ConsumerSpec:
    async def on_partner_registered(
        uow: UnitOfWork, envelope: EventEnvelope, event: PartnerRegistered
    ) -> None:
        await upsert_credentials(
            uow.session,
            table,
            partner_id=event.partner_id,
            slug=event.slug,
            kind=event.kind,
            api_key_sha256=event.api_key_sha256,
        )

    return ConsumerSpec(
        f"{service}.partners", [PARTNERS.name], {"partner.registered": on_partner_registered}
    )
