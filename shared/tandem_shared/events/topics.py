"""Topic registry: one topic per producing aggregate, keyed by the aggregate id.

Every topic has a dead-letter twin `<name>.dlq`; provisioning creates both.
"""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    producer: str
    key: str
    description: str
    partitions: int = 6
    retention_ms: int = -1  # keep forever: reporting rebuilds its read models by replay

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


PARTNERS = TopicSpec(
    "tandem.intake.partners", "intake", "partner_id", "Partner charities and funders.", 3
)
PROGRAMMES = TopicSpec(
    "tandem.intake.programmes",
    "intake",
    "programme_id",
    "Programme configuration and its cohorts.",
    3,
)
APPLICATIONS = TopicSpec(
    "tandem.intake.applications",
    "intake",
    "participant_id",
    "Applications and referrals, their screening decisions, and erasure.",
)
TRAINING = TopicSpec(
    "tandem.sessions.training", "sessions", "participant_id", "Mentor training progress."
)
RELATIONSHIPS = TopicSpec(
    "tandem.sessions.relationships",
    "sessions",
    "match_id",
    "Meetings, risk flags, closure, surveys and outcomes of a match.",
)
MATCHES = TopicSpec(
    "tandem.matching.matches", "matching", "match_id", "Match proposals and decisions."
)
FUNDS = TopicSpec("tandem.bursaries.funds", "bursaries", "fund_id", "Bursary funds.", 3)
BURSARIES = TopicSpec(
    "tandem.bursaries.applications",
    "bursaries",
    "bursary_application_id",
    "Bursary applications, interviews, awards, payments and lapses.",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    PARTNERS,
    PROGRAMMES,
    APPLICATIONS,
    TRAINING,
    RELATIONSHIPS,
    MATCHES,
    FUNDS,
    BURSARIES,
)
TOPICS_BY_NAME = {t.name: t for t in ALL_TOPICS}
