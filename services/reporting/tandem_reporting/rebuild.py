"""Rebuild the read model by replay: empty it, forget what the projection consumer handled,
and move that consumer back to the start of every topic (topics are kept forever).

Safe against a batch being handled at the same moment: the read-model tables and the inbox
are emptied in one transaction under an exclusive lock (PostgreSQL; SQLite serialises
writers), so every counter and its inbox row go together; each event is then replayed and
counted exactly once. Runs in THIS process's consumer: with several reporting instances,
stop the others first, or rebuild offline (below):
  1. stop reporting; 2. truncate the rp_* tables and `DELETE FROM inbox WHERE consumer =
  'reporting.projections'`; 3. reset the group's offsets to earliest (or rename the group);
  4. start reporting.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, text

from tandem_shared.domain_errors import Conflict
from tandem_shared.messaging import MessagingKit

from .models import MESSAGING, READ_MODEL

log = logging.getLogger(__name__)

PROJECTIONS = "reporting.projections"


class RebuildUnavailable(Conflict):
    """The rebuild cannot start now (→ 409 with this message as detail)."""


def _projection_consumer(kit: MessagingKit) -> Any:
    for consumer, subscriber in kit.consumers:
        if consumer.spec.name == PROJECTIONS:
            return getattr(subscriber, "consumer", None)
    return None


async def rebuild(kit: MessagingKit) -> dict[str, Any]:
    consumer = _projection_consumer(kit)
    if consumer is None:
        raise RebuildUnavailable("the projection consumer is not running")
    partitions = list(consumer.assignment())
    if not partitions:  # emptying now would leave the tables empty until new events came
        raise RebuildUnavailable("the projection consumer has no partitions yet; retry shortly")
    tables = [m.__table__ for m in READ_MODEL]
    async with kit.unit_of_work() as uow:
        s = uow.session
        if s.bind.dialect.name == "postgresql":
            names = ", ".join([MESSAGING.inbox.name, *(t.name for t in tables)])
            await s.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
        for table in tables:
            await s.execute(delete(table))
        forgotten = await s.execute(
            delete(MESSAGING.inbox).where(MESSAGING.inbox.c.consumer == PROJECTIONS)
        )
        await uow.commit()
    await consumer.seek_to_beginning(*partitions)
    # Commit the start too, so a rebalance right now cannot resume from the old offsets.
    await consumer.commit(dict(await consumer.beginning_offsets(partitions)))
    log.warning(
        "reporting read model emptied (%d inbox rows); replaying %d partitions",
        forgotten.rowcount,
        len(partitions),
    )
    return {"replaying_partitions": len(partitions), "forgotten_events": forgotten.rowcount}
