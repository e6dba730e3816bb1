"""Generate Tandem's Grafana dashboards (deploy/grafana/dashboards/*.json).

    uv run --frozen python deploy/grafana/generate_dashboards.py

Edit this script, not the JSON: the JSON is its output (committed, because Grafana
provisions it straight from disk) and tests/contract/test_grafana_dashboards.py
fails when the two drift apart. Standard library only.

Two dashboards, both on the provisioned Prometheus datasource (uid "prometheus"):

* tandem-operations.json: is the pipeline healthy? Throughput per topic, handler
  errors, dead letters, consumer lag, outbox backlog, HTTP latency and 5xx.
* tandem-impact.json: what are the programmes achieving, per partner? Built only on
  the reporting service's tandem_impact_* gauges (partner/programme, never a person).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

Panel = dict[str, Any]


class _Layout:
    """Hands out panel ids and grid positions (24 columns wide, rows flow down)."""

    def __init__(self) -> None:
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_height = 0

    def place(self, w: int, h: int) -> tuple[int, dict[str, int]]:
        if self.x + w > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_height = max(self.row_height, h)
        panel_id = self.next_id
        self.next_id += 1
        return panel_id, pos

    def new_row(self) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0


def _target(
    expr: str,
    legend: str = "",
    ref: str = "A",
    *,
    instant: bool = False,
    table: bool = False,
) -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "format": "table" if table else "time_series",
        "refId": ref,
    }


def _targets(*queries: tuple[str, str]) -> list[dict[str, Any]]:
    return [_target(expr, legend, chr(ord("A") + i)) for i, (expr, legend) in enumerate(queries)]


class Dashboard:
    def __init__(self) -> None:
        self.layout = _Layout()
        self.panels: list[Panel] = []

    def row(self, title: str) -> None:
        self.layout.new_row()
        panel_id, pos = self.layout.place(24, 1)
        self.layout.new_row()
        self.panels.append(
            {"type": "row", "id": panel_id, "title": title, "collapsed": False, "gridPos": pos}
        )

    def timeseries(
        self,
        title: str,
        description: str,
        queries: list[tuple[str, str]],
        *,
        unit: str = "short",
        w: int = 12,
        h: int = 8,
        stack: bool = False,
    ) -> None:
        panel_id, pos = self.layout.place(w, h)
        self.panels.append(
            {
                "type": "timeseries",
                "id": panel_id,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": pos,
                "targets": _targets(*queries),
                "fieldConfig": {
                    "defaults": {
                        "unit": unit,
                        "min": 0,
                        "custom": {
                            "drawStyle": "line",
                            "lineWidth": 1,
                            "fillOpacity": 10,
                            "showPoints": "never",
                            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
                        },
                    },
                    "overrides": [],
                },
                "options": {
                    "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"},
                },
            }
        )

    def stat(
        self,
        title: str,
        description: str,
        expr: str,
        *,
        unit: str = "short",
        w: int = 4,
        h: int = 4,
        thresholds: list[tuple[float | None, str]] | None = None,
        decimals: int | None = None,
    ) -> None:
        panel_id, pos = self.layout.place(w, h)
        steps = [
            {"color": color, "value": value} for value, color in (thresholds or [(None, "green")])
        ]
        defaults: dict[str, Any] = {
            "unit": unit,
            "thresholds": {"mode": "absolute", "steps": steps},
            "color": {"mode": "thresholds"},
        }
        if decimals is not None:
            defaults["decimals"] = decimals
        self.panels.append(
            {
                "type": "stat",
                "id": panel_id,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": pos,
                "targets": [_target(expr, title, instant=True)],
                "fieldConfig": {"defaults": defaults, "overrides": []},
                "options": {
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value",
                    "graphMode": "none",
                    "justifyMode": "auto",
                    "textMode": "auto",
                    "orientation": "auto",
                },
            }
        )

    def table(
        self,
        title: str,
        description: str,
        columns: list[tuple[str, str, str]],
        *,
        join_on: str,
        w: int = 24,
        h: int = 9,
    ) -> None:
        """One instant query per column, merged on `join_on` into one row per value.

        columns: (header, expr, unit); each expr must aggregate `by (join_on)`.
        """
        panel_id, pos = self.layout.place(w, h)
        targets = [
            _target(expr, header, chr(ord("A") + i), instant=True, table=True)
            for i, (header, expr, _) in enumerate(columns)
        ]
        renames = {f"Value #{chr(ord('A') + i)}": c[0] for i, c in enumerate(columns)}
        overrides = [
            {
                "matcher": {"id": "byName", "options": header},
                "properties": [{"id": "unit", "value": unit}],
            }
            for header, _, unit in columns
            if unit != "short"
        ]
        self.panels.append(
            {
                "type": "table",
                "id": panel_id,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": pos,
                "targets": targets,
                "transformations": [
                    {"id": "merge", "options": {}},
                    {
                        "id": "organize",
                        "options": {
                            "excludeByName": {"Time": True},
                            "indexByName": {join_on: 0},
                            "renameByName": {join_on: join_on.capitalize(), **renames},
                        },
                    },
                ],
                "fieldConfig": {"defaults": {"unit": "short"}, "overrides": overrides},
                "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}},
            }
        )


def _variable(
    name: str, label: str, query: str, *, multi: bool = True, include_all: bool = True
) -> dict[str, Any]:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2,  # on time range change
        "sort": 1,
        "multi": multi,
        "includeAll": include_all,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
        "skipUrlSync": False,
    }


def _dashboard(
    uid: str,
    title: str,
    description: str,
    tags: list[str],
    variables: list[dict[str, Any]],
    panels: list[Panel],
    time_from: str,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": tags,
        "editable": False,
        "graphTooltip": 1,  # shared crosshair
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "timezone": "browser",
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "templating": {"list": variables},
        "links": [],
        "panels": panels,
    }


# --------------------------------------------------------------- operations ---

# FastStream's metrics carry app_name (= service name); Tandem's own carry service.
FS = 'app_name=~"$service"'
SVC = 'service=~"$service"'
RATE = "$__rate_interval"


def operations() -> dict[str, Any]:
    d = Dashboard()

    d.row("Overview")
    d.stat(
        "Messages consumed / s",
        "All handlers of the selected services.",
        f"sum(rate(tandem_received_messages_total{{{FS}}}[{RATE}]))",
        unit="reqps",
    )
    d.stat(
        "Events published / s",
        "Events the outbox relays published to Kafka.",
        f"sum(rate(tandem_outbox_published_total{{{SVC}}}[{RATE}]))",
        unit="reqps",
    )
    d.stat(
        "Dead letters (time range)",
        "Messages sent to <topic>.dlq in the selected time range. Anything above zero "
        "needs an operator: inspect and replay from the DLQ.",
        f"sum(increase(tandem_dead_letters_total{{{SVC}}}[$__range])) or vector(0)",
        thresholds=[(None, "green"), (1, "red")],
        decimals=0,
    )
    d.stat(
        "Max consumer lag",
        "Largest lag (messages) of any consumer group on any partition.",
        f"max(tandem_consumer_lag{{{SVC}}})",
        thresholds=[(None, "green"), (100, "orange"), (1000, "red")],
    )
    d.stat(
        "Outbox pending",
        "Outbox rows written but not yet published, all selected services.",
        f"sum(tandem_outbox_pending{{{SVC}}})",
        thresholds=[(None, "green"), (100, "orange"), (1000, "red")],
    )
    d.stat(
        "HTTP 5xx ratio",
        "Share of HTTP responses with a 5xx status over the last 5 minutes.",
        # `or vector(0)`: no 5xx series at all means 0 %, not "no data".
        f'(sum(rate(tandem_http_requests_total{{{SVC}, status=~"5.."}}[5m])) or vector(0))'
        f" / sum(rate(tandem_http_requests_total{{{SVC}}}[5m]))",
        unit="percentunit",
        thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")],
        decimals=2,
    )

    d.row("Throughput per topic")
    d.timeseries(
        "Messages consumed per topic",
        "rate(tandem_received_messages_total) by handler (the subscribed topic).",
        [
            (
                f"sum by (handler) (rate(tandem_received_messages_total{{{FS}}}[{RATE}]))",
                "{{handler}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Events published per topic (outbox relay)",
        "rate(tandem_outbox_published_total) by topic.",
        [
            (
                f"sum by (topic) (rate(tandem_outbox_published_total{{{SVC}}}[{RATE}]))",
                "{{topic}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Processed messages by outcome",
        "FastStream's outcome for each consumed message: acked, nacked, rejected, "
        "skipped or error.",
        [
            (
                "sum by (handler, status) "
                f"(rate(tandem_received_processed_messages_total{{{FS}}}[{RATE}]))",
                "{{handler}} {{status}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Handler processing time p95",
        "95th percentile time to process one message, per topic.",
        [
            (
                "histogram_quantile(0.95, sum by (handler, le) "
                f"(rate(tandem_received_processed_messages_duration_seconds_bucket{{{FS}}}"
                f"[{RATE}])))",
                "{{handler}}",
            )
        ],
        unit="s",
    )

    d.row("Errors and dead letters")
    d.timeseries(
        "Handler failures",
        "Handler attempts that raised (each retry counts), by topic and consumer.",
        [
            (
                f"sum by (topic, consumer) (rate(tandem_handler_failures_total{{{SVC}}}[{RATE}]))",
                "{{consumer}} on {{topic}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Handler exceptions by type",
        "Exceptions FastStream saw escape a handler, by exception type.",
        [
            (
                "sum by (handler, exception_type) "
                f"(rate(tandem_received_processed_messages_exceptions_total{{{FS}}}[{RATE}]))",
                "{{handler}} {{exception_type}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Dead letters",
        "Messages given up on and sent to <topic>.dlq, per topic and consumer.",
        [
            (
                f"sum by (topic, consumer) (increase(tandem_dead_letters_total{{{SVC}}}[{RATE}]))",
                "{{consumer}} on {{topic}}",
            )
        ],
        stack=True,
    )
    d.timeseries(
        "Redeliveries skipped by the inbox",
        "Duplicate deliveries the idempotent inbox recognised and skipped. Spikes follow "
        "rebalances and restarts; that is the inbox doing its job.",
        [
            (
                "sum by (service, consumer) "
                f"(rate(tandem_inbox_duplicates_total{{{SVC}}}[{RATE}]))",
                "{{service}} {{consumer}}",
            )
        ],
        unit="reqps",
    )
    d.timeseries(
        "Publish failures",
        "Publishes to Kafka that failed, by destination topic (the outbox retries them).",
        [
            (
                "sum by (destination) "
                f'(rate(tandem_published_messages_total{{{FS}, status="error"}}[{RATE}]))',
                "{{destination}}",
            )
        ],
        unit="reqps",
        w=24,
        h=6,
    )

    d.row("Backlog")
    d.timeseries(
        "Consumer lag",
        "High watermark minus committed offset; the worst partition per topic and group.",
        [
            (
                f"max by (topic, group) (tandem_consumer_lag{{{SVC}}})",
                "{{group}} on {{topic}}",
            )
        ],
    )
    d.timeseries(
        "Outbox pending",
        "Outbox rows waiting for the relay, per service. Should hover near zero.",
        [(f"sum by (service) (tandem_outbox_pending{{{SVC}}})", "{{service}}")],
    )
    d.timeseries(
        "Oldest pending outbox event age",
        "How long the oldest unpublished outbox row has waited. A steady climb means "
        "the relay cannot reach Kafka.",
        [(f"max by (service) (tandem_outbox_oldest_pending_seconds{{{SVC}}})", "{{service}}")],
        unit="s",
        w=24,
        h=6,
    )

    d.row("HTTP")
    d.timeseries(
        "HTTP latency p95",
        "95th percentile request duration per service.",
        [
            (
                "histogram_quantile(0.95, sum by (service, le) "
                f"(rate(tandem_http_request_duration_seconds_bucket{{{SVC}}}[{RATE}])))",
                "{{service}}",
            )
        ],
        unit="s",
        w=8,
    )
    d.timeseries(
        "HTTP 5xx rate",
        "Responses with a 5xx status per second, per service.",
        [
            (
                "sum by (service) "
                f'(rate(tandem_http_requests_total{{{SVC}, status=~"5.."}}[{RATE}]))',
                "{{service}}",
            )
        ],
        unit="reqps",
        w=8,
    )
    d.timeseries(
        "HTTP requests by route",
        "Request rate per service, method and route.",
        [
            (
                "sum by (service, method, route) "
                f"(rate(tandem_http_requests_total{{{SVC}}}[{RATE}]))",
                "{{service}} {{method}} {{route}}",
            )
        ],
        unit="reqps",
        w=8,
    )

    return _dashboard(
        uid="tandem-operations",
        title="Tandem / Operations",
        description="Pipeline health: throughput, errors, dead letters, lag, outbox, HTTP.",
        tags=["tandem", "operations"],
        variables=[
            # Every scrape target carries a `service` label (deploy/prometheus).
            _variable("service", "Service", 'label_values(up{job="tandem"}, service)'),
        ],
        panels=d.panels,
        time_from="now-1h",
    )


# ------------------------------------------------------------------- impact ---

P = 'partner=~"$partner"'
PP = 'partner=~"$partner", programme=~"$programme"'


def _by_partner(metric: str, matchers: str = PP) -> str:
    return f"sum by (partner) ({metric}{{{matchers}}})"


def _ratio(numerator: str, denominator: str) -> str:
    # `> 0` drops a zero denominator, leaving "no data" instead of NaN / +Inf.
    return f"{numerator} / ({denominator} > 0)"


def impact() -> dict[str, Any]:
    d = Dashboard()
    total = "sum({metric}{{{m}}})"

    def tot(metric: str, matchers: str = PP) -> str:
        return total.format(metric=metric, m=matchers)

    d.row("Selected partners and programmes")
    d.stat("Applications", "Mentor and mentee applications.", tot("tandem_impact_applications"))
    d.stat(
        "Acceptance rate",
        "Accepted applications / applications.",
        _ratio(tot("tandem_impact_applications_accepted"), tot("tandem_impact_applications")),
        unit="percentunit",
        decimals=1,
    )
    d.stat("Matches made", "Mentor-mentee matches made.", tot("tandem_impact_matches_made"))
    d.stat(
        "Meetings per match",
        "Recorded meetings / matches made.",
        _ratio(tot("tandem_impact_meetings"), tot("tandem_impact_matches_made")),
        decimals=1,
    )
    d.stat(
        "Completion rate",
        "Matches completed / matches made.",
        _ratio(tot("tandem_impact_matches_completed"), tot("tandem_impact_matches_made")),
        unit="percentunit",
        decimals=1,
    )
    d.stat(
        "Bursaries awarded",
        "Bursaries awarded (all programmes of the selected partners).",
        tot("tandem_impact_bursaries_awarded", P),
        w=2,
    )
    d.stat(
        "Bursary amount",
        "Total bursary amount awarded (all programmes of the selected partners).",
        tot("tandem_impact_bursary_awarded_amount_gbp", P),
        unit="currencyGBP",
        w=2,
    )

    d.row("Per partner")
    d.table(
        "Programme figures per partner",
        "One row per partner. Rates are ratios of the partner's own figures. Bursaries are "
        "per partner (not per programme).",
        [
            ("Applications", _by_partner("tandem_impact_applications"), "short"),
            ("Accepted", _by_partner("tandem_impact_applications_accepted"), "short"),
            (
                "Acceptance rate",
                _ratio(
                    _by_partner("tandem_impact_applications_accepted"),
                    _by_partner("tandem_impact_applications"),
                ),
                "percentunit",
            ),
            ("Mentors trained", _by_partner("tandem_impact_mentors_trained"), "short"),
            ("Matches proposed", _by_partner("tandem_impact_matches_proposed"), "short"),
            ("Matches made", _by_partner("tandem_impact_matches_made"), "short"),
            (
                "Meetings per match",
                _ratio(
                    _by_partner("tandem_impact_meetings"),
                    _by_partner("tandem_impact_matches_made"),
                ),
                "short",
            ),
            (
                "Completion rate",
                _ratio(
                    _by_partner("tandem_impact_matches_completed"),
                    _by_partner("tandem_impact_matches_made"),
                ),
                "percentunit",
            ),
            ("Bursaries", _by_partner("tandem_impact_bursaries_awarded", P), "short"),
            (
                "Bursary amount",
                _by_partner("tandem_impact_bursary_awarded_amount_gbp", P),
                "currencyGBP",
            ),
        ],
        join_on="partner",
    )

    d.row("Over time")
    d.timeseries(
        "Applications by role",
        "Applications and accepted applications, mentors vs mentees.",
        [
            (
                f"sum by (partner, role) (tandem_impact_applications{{{PP}}})",
                "{{partner}} {{role}} applied",
            ),
            (
                f"sum by (partner, role) (tandem_impact_applications_accepted{{{PP}}})",
                "{{partner}} {{role}} accepted",
            ),
        ],
    )
    d.timeseries(
        "Acceptance rate",
        "Accepted / applications, per partner.",
        [
            (
                _ratio(
                    _by_partner("tandem_impact_applications_accepted"),
                    _by_partner("tandem_impact_applications"),
                ),
                "{{partner}}",
            )
        ],
        unit="percentunit",
    )
    d.timeseries(
        "Mentors trained and matches",
        "Mentors trained, matches proposed and matches made, per partner.",
        [
            (_by_partner("tandem_impact_mentors_trained"), "{{partner}} mentors trained"),
            (_by_partner("tandem_impact_matches_proposed"), "{{partner}} proposed"),
            (_by_partner("tandem_impact_matches_made"), "{{partner}} made"),
        ],
    )
    d.timeseries(
        "Meetings per match",
        "Recorded meetings / matches made, per partner and programme.",
        [
            (
                _ratio(
                    f"sum by (partner, programme) (tandem_impact_meetings{{{PP}}})",
                    f"sum by (partner, programme) (tandem_impact_matches_made{{{PP}}})",
                ),
                "{{partner}} / {{programme}}",
            )
        ],
    )
    d.timeseries(
        "Completion rate",
        "Matches completed / matches made, per partner and programme.",
        [
            (
                _ratio(
                    f"sum by (partner, programme) (tandem_impact_matches_completed{{{PP}}})",
                    f"sum by (partner, programme) (tandem_impact_matches_made{{{PP}}})",
                ),
                "{{partner}} / {{programme}}",
            )
        ],
        unit="percentunit",
    )
    d.timeseries(
        "Bursaries",
        "Bursaries awarded (count) and total amount awarded (GBP), per partner.",
        [
            (_by_partner("tandem_impact_bursaries_awarded", P), "{{partner}} awarded"),
            (_by_partner("tandem_impact_bursary_awarded_amount_gbp", P), "{{partner}} GBP"),
        ],
    )
    # Put the GBP series on its own (right-hand) axis in currency.
    d.panels[-1]["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byFrameRefID", "options": "B"},
            "properties": [
                {"id": "unit", "value": "currencyGBP"},
                {"id": "custom.axisPlacement", "value": "right"},
            ],
        }
    ]

    return _dashboard(
        uid="tandem-impact",
        title="Tandem / Programme impact",
        description="Per-partner programme figures from the reporting service's "
        "tandem_impact_* gauges. Aggregates only: no individual is identifiable.",
        tags=["tandem", "impact"],
        variables=[
            _variable("partner", "Partner", "label_values(tandem_impact_applications, partner)"),
            _variable(
                "programme",
                "Programme",
                'label_values(tandem_impact_applications{partner=~"$partner"}, programme)',
            ),
        ],
        panels=d.panels,
        time_from="now-90d",
    )


DASHBOARDS = {"tandem-operations.json": operations, "tandem-impact.json": impact}


def render() -> dict[str, str]:
    """File name -> JSON text, exactly as written to deploy/grafana/dashboards/."""
    return {
        name: json.dumps(build(), indent=2, sort_keys=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, text in render().items():
        path = OUT_DIR / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (re-run without --check): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
