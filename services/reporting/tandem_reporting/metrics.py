"""Impact gauges for Prometheus, from a snapshot of the read model.

The collector never touches the database: a background job refreshes the snapshot every
few seconds, and `collect()` only reads it. Labels: partner and programme slugs (and role),
never a person.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from . import domain

log = logging.getLogger(__name__)

LABELS = {
    **{
        name: (["partner", "programme", "role"] if role else ["partner", "programme"], help_)
        for name, (_, help_, role) in domain.GAUGES.items()
    },
    "tandem_impact_bursaries_awarded": (["partner"], "Bursaries awarded to a partner's mentees"),
    "tandem_impact_bursary_awarded_amount_gbp": (["partner"], "Bursary money awarded, GBP"),
}


class ImpactSnapshot:
    """The latest gauge values; replaced whole, read by the collector (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: dict[str, dict[tuple[str, ...], float]] = {}

    def replace(self, samples: dict[str, dict[tuple[str, ...], float]]) -> None:
        with self._lock:
            self._samples = samples

    def get(self) -> dict[str, dict[tuple[str, ...], float]]:
        with self._lock:
            return self._samples


class ImpactCollector(Collector):
    def __init__(self, snapshot: ImpactSnapshot) -> None:
        self.snapshot = snapshot

    def describe(self) -> list:
        return [
            GaugeMetricFamily(name, help_, labels=labels)
            for name, (labels, help_) in LABELS.items()
        ]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        samples = self.snapshot.get()
        for name, (labels, help_) in LABELS.items():
            family = GaugeMetricFamily(name, help_, labels=labels)
            for label_values, value in sorted(samples.get(name, {}).items()):
                family.add_metric(list(label_values), value)
            yield family


# One snapshot and one collector per process (the registry refuses duplicate names).
SNAPSHOT = ImpactSnapshot()
_registered = False


def register_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(ImpactCollector(SNAPSHOT))
        _registered = True


async def refresh(load: Callable[[], Awaitable[list]], snapshot: ImpactSnapshot = SNAPSHOT) -> None:
    """One refresh (run by a PeriodicJob); if `load` fails the last snapshot stays."""
    snapshot.replace(domain.gauge_samples(await load()))
