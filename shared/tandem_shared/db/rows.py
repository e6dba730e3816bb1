"""Row helpers the services' event handlers share."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def get_or_add(
    session: AsyncSession, model: type[T], *, defaults: dict[str, Any] | None = None, **key: Any
) -> T:
    """The row with this primary key, or a new one (key + `defaults`) added to the session.

    row = await get_or_add(s, Programme, programme_id=event.programme_id)
    """
    row = await session.get(model, key)
    if row is None:
        row = model(**key, **(defaults or {}))
        session.add(row)
    return row
