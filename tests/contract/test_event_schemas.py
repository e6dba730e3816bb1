"""The published event contract: examples, JSON Schemas, docs, tolerance and no personal data."""

from __future__ import annotations

import json
import typing
import uuid
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from tandem_shared.events import CATALOGUE, PAYLOADS, EventEnvelope, EventPayload, parse_payload
from tandem_shared.events.envelope import PayloadPart
from tandem_shared.events.examples import EXAMPLES, example_envelope
from tandem_shared.events.published import (
    DOCS_PAGE,
    SCHEMA_DIR,
    envelope_model,
    render_docs,
    render_schemas,
    schema_file_name,
)

REGENERATE = "regenerate them with `uv run python -m tandem_shared.events.published`"

# Field names that would mean personal data travels in an event. Payloads carry ids and coarse
# codes only; names, contact details, notes and special-category data stay in their service.
PERSONAL_DATA = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "postcode",
    "date_of_birth",
    "dob",
    "notes",
    "note",
    "free_text",
    "comment",
    "immigration_status",
    "health",
    "sen",
)

by_type = pytest.mark.parametrize("event_type", sorted(CATALOGUE))
by_payload = pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: p.event_type)


@pytest.fixture(scope="module")
def validator_for():
    jsonschema = pytest.importorskip("jsonschema")

    def make(payload: type[EventPayload]):
        schema = json.loads((SCHEMA_DIR / schema_file_name(payload)).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        return jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

    return make


def assert_valid(validator, document: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


# -- catalogue and examples -----------------------------------------------------------------


def test_every_catalogue_event_has_an_example():
    assert len(CATALOGUE) == len(PAYLOADS)
    missing = sorted(set(CATALOGUE) - set(EXAMPLES))
    unknown = sorted(set(EXAMPLES) - set(CATALOGUE))
    assert not missing, f"events without an example in examples.py: {missing}"
    assert not unknown, f"examples of events outside the catalogue: {unknown}"
    for event_type, example in EXAMPLES.items():
        assert type(example) is CATALOGUE[event_type], event_type


@by_type
def test_example_round_trips_through_its_schema(event_type, validator_for):
    payload = CATALOGUE[event_type]
    envelope = example_envelope(event_type)
    document = envelope.model_dump(mode="json")
    assert_valid(validator_for(payload), document)

    # What a consumer does with the bytes: envelope first, then the payload by its type.
    for parsed in (
        EventEnvelope.model_validate(document),
        EventEnvelope.from_bytes(envelope.to_bytes()),
    ):
        assert parsed == envelope
        assert parse_payload(parsed) == EXAMPLES[event_type]
    typed = envelope_model(payload).model_validate(document)
    assert typed.payload == EXAMPLES[event_type]


@by_type
def test_unknown_fields_are_tolerated(event_type, validator_for):
    """Changes are additive: a reader must accept fields a newer producer added."""
    payload = CATALOGUE[event_type]
    document = example_envelope(event_type).model_dump(mode="json")
    document["x_added_later"] = {"nested": [1, "two"]}
    document["payload"]["x_added_later"] = "a newer producer's field"
    assert_valid(validator_for(payload), document)

    parsed = EventEnvelope.model_validate(document)
    assert parse_payload(parsed) == EXAMPLES[event_type]
    assert parsed == EventEnvelope.model_validate_json(json.dumps(document))
    assert envelope_model(payload).model_validate(document).payload == EXAMPLES[event_type]


def test_schemas_reject_a_broken_envelope(validator_for):
    """The schemas really constrain: a guard against validating against `{}` by accident."""
    payload = PAYLOADS[0]
    validator = validator_for(payload)
    document = example_envelope(payload.event_type).model_dump(mode="json")
    for broken in (
        {k: v for k, v in document.items() if k != "producer"},
        {**document, "event_type": "something.else"},
        {**document, "partner_id": "not-a-uuid"},
        {**document, "payload": {}},
    ):
        assert list(validator.iter_errors(broken)), broken


# -- committed artefacts are current --------------------------------------------------------


def test_committed_schema_files_are_current():
    rendered = render_schemas()
    committed = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    missing = sorted(set(rendered) - set(committed))
    extra = sorted(set(committed) - set(rendered))
    stale = sorted(n for n in set(rendered) & set(committed) if rendered[n] != committed[n])
    assert not (missing or extra or stale), (
        f"{SCHEMA_DIR} is out of date (missing {missing}, extra {extra}, stale {stale}); "
        f"{REGENERATE}"
    )


def test_committed_docs_page_is_current():
    assert DOCS_PAGE.exists(), f"{DOCS_PAGE} is missing; {REGENERATE}"
    assert DOCS_PAGE.read_text() == render_docs(), f"{DOCS_PAGE} is out of date; {REGENERATE}"


# -- no personal data -----------------------------------------------------------------------


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models inside an annotation: list[Part], dict[str, Part], Part | None, …"""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += models_in(arg)
    return found


def field_paths(model: type[BaseModel], prefix: str = "", seen=None) -> list[tuple[str, str]]:
    """(path, name) of every field of `model`, nested models included, aliases too."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen = seen | {model}
    paths = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths += [(path, n) for n in {name, info.alias, info.serialization_alias} if n]
        for nested in models_in(info.annotation):
            paths += field_paths(nested, f"{path}.", seen)
    return paths


def looks_personal(field_name: str) -> str | None:
    """The personal-data term a field name contains as whole words (`mentee_email`, …)."""
    words = f"_{field_name.lower()}_"
    for term in PERSONAL_DATA:
        for variant in (term, f"{term}s"):
            if f"_{variant}_" in words:
                return term
    return None


@by_payload
def test_payload_has_no_personal_data_fields(payload):
    offending = {
        path: term for path, name in field_paths(payload) if (term := looks_personal(name))
    }
    assert not offending, f"{payload.event_type} carries personal data fields: {offending}"


def test_personal_data_check_sees_nested_fields():
    class Contact(PayloadPart):
        email_address: str

    class Leaky(EventPayload):
        event_type: ClassVar[str] = "test.leaky"
        topic: ClassVar[str] = "unused"

        participant_id: uuid.UUID
        contacts: list[Contact] | None = None
        by_role: dict[str, Contact] = {}

    flagged = {path for path, name in field_paths(Leaky) if looks_personal(name)}
    assert flagged == {"contacts.email_address", "by_role.email_address"}
    assert looks_personal("sent_at") is None and looks_personal("slug") is None
    assert looks_personal("sender_id") is None  # only whole words count
    assert looks_personal("mentor_notes") == "notes"
