"""Static checks for the Grafana dashboards in deploy/grafana/dashboards/.

A dashboard querying a metric nobody exports shows an empty panel, silently. So
every PromQL expression is parsed and each metric name it uses must be one the
services actually export (KNOWN_METRICS: the team's metric contract).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "deploy/grafana/dashboards"
GENERATOR = REPO / "deploy/grafana/generate_dashboards.py"
DASHBOARD_FILES = sorted(DASHBOARD_DIR.glob("*.json"))
DATASOURCE_UID = "prometheus"

KNOWN_METRICS = frozenset(
    {
        # FastStream KafkaPrometheusMiddleware(metrics_prefix="tandem", app_name=<service>)
        "tandem_received_messages_total",
        "tandem_received_processed_messages_total",
        "tandem_received_processed_messages_duration_seconds_bucket",
        "tandem_received_processed_messages_exceptions_total",
        "tandem_published_messages_total",
        # tandem_shared messaging / HTTP kit (label service)
        "tandem_outbox_published_total",
        "tandem_outbox_pending",
        "tandem_outbox_oldest_pending_seconds",
        "tandem_handler_failures_total",
        "tandem_dead_letters_total",
        "tandem_inbox_duplicates_total",
        "tandem_consumer_lag",
        "tandem_http_requests_total",
        "tandem_http_request_duration_seconds_bucket",
        # reporting service: programme impact (partner / programme, never a person)
        "tandem_impact_applications",
        "tandem_impact_applications_accepted",
        "tandem_impact_mentors_trained",
        "tandem_impact_matches_proposed",
        "tandem_impact_matches_made",
        "tandem_impact_meetings",
        "tandem_impact_matches_completed",
        "tandem_impact_bursaries_awarded",
        "tandem_impact_bursary_awarded_amount_gbp",
    }
)

# Identifiers in PromQL that are not metric names (when not followed by "(").
PROMQL_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "inf", "nan", "start", "end"}
)
REQUIRED_VARIABLES = {"tandem-operations.json": "service", "tandem-impact.json": "partner"}


# ------------------------------------------------------------ PromQL parsing ---


def metric_names(expr: str) -> set[str]:
    """Metric names used in a PromQL expression (regex-based, good enough for ours).

    Strips what can contain identifiers that are not metrics (strings, label
    matchers, range selectors, grouping clauses, Grafana variables), then keeps the
    identifiers that are neither keywords nor function/aggregation calls.
    """
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    s = re.sub(r"\$\{[^}]*\}|\$\w+", " ", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s, flags=re.I
    )
    s = re.sub(r"\boffset\s+-?[\w.]+", " ", s, flags=re.I)
    names = set()
    for match in re.finditer(r"(?<![\w.:])[A-Za-z_:][\w:]*", s):
        word = match.group()
        if word.lower() in PROMQL_KEYWORDS or s[match.end() :].lstrip().startswith("("):
            continue
        names.add(word)
    return names


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("up", {"up"}),
        ('sum by (handler) (rate(a_total{app_name=~"$service"}[$__rate_interval]))', {"a_total"}),
        (
            'histogram_quantile(0.95, sum by (service, le) (rate(x_bucket{s=~"a|b"}[5m])))',
            {"x_bucket"},
        ),
        ("sum(a) / (sum(b) > 0) or vector(0)", {"a", "b"}),
        ('max without (pod) (c{job="x"} offset 1h) * on (job) group_left (team) d', {"c", "d"}),
        ("sum(increase(e[$__range])) + 1e3", {"e"}),
    ],
)
def test_metric_name_parser(expr: str, expected: set[str]) -> None:
    assert metric_names(expr) == expected


# ----------------------------------------------------------------- helpers ---


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in (collapsed) rows."""
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])


def _targets(dashboard: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in _panels(dashboard.get("panels") or []):
        for target in panel.get("targets") or []:
            yield panel, target


# ------------------------------------------------------------------- tests ---


def test_the_dashboards_exist() -> None:
    assert {p.name for p in DASHBOARD_FILES} >= set(REQUIRED_VARIABLES)


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_dashboard_is_valid_json_with_unique_panel_ids(path: Path) -> None:
    dashboard = _load(path)
    assert dashboard.get("uid") and dashboard.get("title")
    ids = [panel.get("id") for panel in _panels(dashboard["panels"])]
    assert ids and None not in ids, "every panel has an id"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate panel ids {duplicates}"


def test_dashboard_uids_are_unique() -> None:
    uids = [_load(path)["uid"] for path in DASHBOARD_FILES]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_every_panel_queries_the_provisioned_prometheus(path: Path) -> None:
    for panel in _panels(_load(path)["panels"]):
        if panel["type"] == "row":
            continue
        title = panel.get("title")
        assert panel.get("datasource", {}).get("uid") == DATASOURCE_UID, title
        assert panel.get("targets"), f"panel {title!r} has no queries"
        for target in panel["targets"]:
            assert isinstance(target.get("expr"), str) and target["expr"].strip(), (
                f"panel {title!r} target {target.get('refId')} has an empty expr"
            )
            assert target.get("datasource", {}).get("uid", DATASOURCE_UID) == DATASOURCE_UID
        ref_ids = [t.get("refId") for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), f"panel {title!r}: duplicate refIds"


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_every_metric_in_an_expression_is_exported(path: Path) -> None:
    used: set[str] = set()
    for panel, target in _targets(_load(path)):
        names = metric_names(target["expr"])
        assert names, f"{panel['title']!r}: no metric found in {target['expr']!r}"
        unknown = names - KNOWN_METRICS
        assert not unknown, f"{panel['title']!r} uses unknown metrics {sorted(unknown)}"
        used |= names
    assert used


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_variables_used_in_queries_are_defined(path: Path) -> None:
    dashboard = _load(path)
    defined = {v["name"] for v in dashboard.get("templating", {}).get("list", [])}
    required = REQUIRED_VARIABLES.get(path.name)
    if required:
        assert required in defined, f"{path.name} needs a ${required} template variable"
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            assert variable.get("datasource", {}).get("uid") == DATASOURCE_UID
    for panel, target in _targets(dashboard):
        for name in re.findall(r"\$\{?(\w+)", target["expr"]):
            if not name.startswith("__"):
                assert name in defined, f"{panel['title']!r} uses undefined ${name}"


def test_impact_dashboard_only_uses_the_aggregate_impact_gauges() -> None:
    dashboard = _load(DASHBOARD_DIR / "tandem-impact.json")
    for panel, target in _targets(dashboard):
        names = metric_names(target["expr"])
        assert all(n.startswith("tandem_impact_") for n in names), panel["title"]


def test_operations_dashboard_covers_the_runbook_signals() -> None:
    used: set[str] = set()
    for _, target in _targets(_load(DASHBOARD_DIR / "tandem-operations.json")):
        used |= metric_names(target["expr"])
    assert used >= {
        "tandem_received_messages_total",
        "tandem_outbox_published_total",
        "tandem_handler_failures_total",
        "tandem_dead_letters_total",
        "tandem_consumer_lag",
        "tandem_outbox_pending",
        "tandem_http_request_duration_seconds_bucket",
        "tandem_http_requests_total",
    }


def test_dashboards_match_their_generator() -> None:
    """The JSON is generate_dashboards.py's output; edit the script, then re-run it."""
    spec = importlib.util.spec_from_file_location("generate_dashboards", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.render().items():
        assert (DASHBOARD_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run `uv run --frozen python {GENERATOR.relative_to(REPO)}`"
        )
