"""The one envelope every Tandem event travels in.

Field names follow the issue's contract; `to_cloudevents_headers` maps them onto the
CloudEvents 1.0 Kafka binding so integrators can route on headers without parsing bodies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


def utcnow() -> datetime:
    return datetime.now(UTC)


class PayloadPart(BaseModel):
    """A structured part of a payload: immutable, and a tolerant reader (extra fields ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class EventPayload(PayloadPart):
    """Base of every payload.

    Subclasses set `event_type`, `schema_version` and `topic`; the registry indexes them.
    Payloads carry ids and coarse attributes only: never names, contact details or notes.
    """

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique id; dedup key.")
    event_type: str = Field(description="Dotted past-tense name, e.g. `match.made`.")
    schema_version: int = Field(ge=1, description="Version of the payload schema.")
    occurred_at: AwareDatetime = Field(default_factory=utcnow, description="When, in UTC.")
    producer: str = Field(description="Producing service (CloudEvents `source`).")
    partner_id: uuid.UUID = Field(description="The tenant that owns the subject.")
    programme_id: uuid.UUID | None = None
    cohort_id: uuid.UUID | None = None
    subject_id: str = Field(description="Aggregate id; also the Kafka message key.")
    correlation_id: uuid.UUID = Field(description="Id shared by every event of one flow.")
    causation_id: uuid.UUID | None = Field(
        default=None, description="event_id of the event (or request) that caused this one."
    )
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        producer: str,
        partner_id: uuid.UUID,
        subject_id: uuid.UUID | str,
        programme_id: uuid.UUID | None = None,
        cohort_id: uuid.UUID | None = None,
        caused_by: EventEnvelope | None = None,
        correlation_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        """Build the envelope for `payload`; correlation flows on from `caused_by`."""
        event_id = uuid.uuid4()
        if correlation_id is None:
            correlation_id = caused_by.correlation_id if caused_by else event_id
        return cls(
            event_id=event_id,
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            occurred_at=occurred_at or utcnow(),
            producer=producer,
            partner_id=partner_id,
            programme_id=programme_id,
            cohort_id=cohort_id,
            subject_id=str(subject_id),
            correlation_id=correlation_id,
            causation_id=caused_by.event_id if caused_by else None,
            payload=payload.model_dump(mode="json"),
        )

    @property
    def key(self) -> bytes:
        return self.subject_id.encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        return cls.model_validate_json(raw)

    def to_cloudevents_headers(self) -> dict[str, str]:
        """CloudEvents 1.0 Kafka-binding attributes, duplicated as headers for routing."""
        return {
            "ce_specversion": "1.0",
            "ce_id": str(self.event_id),
            "ce_type": self.event_type,
            "ce_source": f"tandem/{self.producer}",
            "ce_time": self.occurred_at.isoformat(),
            "ce_subject": self.subject_id,
            "ce_dataschema": f"tandem:{self.event_type}:v{self.schema_version}",
            "tandem_partner_id": str(self.partner_id),
        }
