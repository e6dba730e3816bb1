"""Tandem's event contracts: the envelope, the catalogue of payloads, and the topics."""

from .catalogue import CATALOGUE, PAYLOADS, UnknownEventType, parse_payload, payload_model
from .envelope import EventEnvelope, EventPayload, PayloadPart
from .topics import ALL_TOPICS, TOPICS_BY_NAME, TopicSpec, dead_letter_topic

__all__ = [
    "ALL_TOPICS",
    "CATALOGUE",
    "PAYLOADS",
    "TOPICS_BY_NAME",
    "EventEnvelope",
    "EventPayload",
    "PayloadPart",
    "TopicSpec",
    "UnknownEventType",
    "dead_letter_topic",
    "parse_payload",
    "payload_model",
]
