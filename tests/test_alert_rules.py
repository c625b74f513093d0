"""deploy/prometheus/alerts.yml as Prometheus would load it: the rule file's shape, each
expression parsed as PromQL, and every metric it names one that a live GET /metrics returns
(of a type the functions around it can read). A renamed metric breaks this test, not the
agency's paging at night."""

from __future__ import annotations

import re
from typing import Any

import httpx
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from sitegen.settings import REPO_ROOT

PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
# The keys Prometheus accepts on an alerting rule (rulefmt), and those this file must use.
RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
REQUIRED = {"alert", "expr", "for", "labels", "annotations"}
# Functions that read a counter's increase; on a gauge they give nonsense without an error.
COUNTER_FUNCTIONS = {"rate", "irate", "increase"}
# The seed's four (seed 002 §5.3).
SEED_ALERTS = {
    "SitegenPipelineStuck",
    "SitegenStepErrorRateHigh",
    "SitegenFailuresAcrossProjects",
    "SitegenAIQuotaNearLimit",
}


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert set(group) == {"name", "rules"}, group.keys()
        assert isinstance(group["name"], str) and group["rules"]
        rules.extend(group["rules"])
    return rules


def _selected(expr: promql_parser.Expr) -> tuple[set[str], set[str]]:
    """Every metric an expression selects, and those read by a counter function."""
    names: set[str] = set()
    counters: set[str] = set()

    def collect(into: set[str]) -> Any:
        def visit(node: promql_parser.Expr) -> None:
            if isinstance(node, promql_parser.VectorSelector):
                # A selector by {__name__=~...} alone could match anything: not checkable.
                assert node.name, f"a selector without a metric name: {node}"
                into.add(node.name)

        return visit

    def counter_calls(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.Call) and node.func.name in COUNTER_FUNCTIONS:
            promql_parser.walk(node, collect(counters))

    promql_parser.walk(expr, collect(names))
    promql_parser.walk(expr, counter_calls)
    return names, counters


def test_the_rule_file_has_the_shape_prometheus_loads() -> None:
    rules = _rules()
    assert {r["alert"] for r in rules} >= SEED_ALERTS
    assert len({r["alert"] for r in rules}) == len(rules), "alert names repeat"
    for rule in rules:
        name = str(rule.get("alert"))
        assert set(rule) <= RULE_KEYS, (name, set(rule) - RULE_KEYS)
        assert set(rule) >= REQUIRED, (name, REQUIRED - set(rule))
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), name
        promql_parser.parse_duration(rule["for"])
        assert all(isinstance(v, str) for v in rule["labels"].values()), name
        assert rule["labels"]["severity"] in {"page", "warn"}, name
        assert {"summary", "description"} <= set(rule["annotations"]), name


@pytest.mark.parametrize("alert", sorted(SEED_ALERTS))
def test_each_expression_parses(alert: str) -> None:
    (rule,) = [r for r in _rules() if r["alert"] == alert]
    expr = promql_parser.parse(rule["expr"])
    names, _ = _selected(expr)
    assert names and all(n.startswith("sitegen_") for n in names), names


def test_a_broken_expression_is_caught() -> None:
    """The parser is strict enough to be worth trusting: these are Prometheus errors too."""
    for wrong in ("max(sitegen_projects", "rate(sitegen_projects)", "nosuch(sitegen_projects)"):
        with pytest.raises(ValueError):
            promql_parser.parse(wrong)
    _, counters = _selected(promql_parser.parse("sum(rate(a_total[5m])) / max(b)"))
    assert counters == {"a_total"}


async def test_every_metric_named_is_on_the_live_endpoint(api: httpx.AsyncClient) -> None:
    response = await api.get("/metrics")
    assert response.status_code == 200, response.text
    exported: dict[str, str] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            exported[sample.name] = family.type
    for rule in _rules():
        names, counters = _selected(promql_parser.parse(rule["expr"]))
        missing = names - set(exported)
        assert not missing, f"{rule['alert']} names metrics /metrics does not export: {missing}"
        for name in counters:
            assert exported[name] == "counter", f"{rule['alert']}: {name} is not a counter"


def test_the_example_scrape_config_loads_these_rules() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["sitegen-api"]
    assert api["metrics_path"] == "/metrics"
    assert api["authorization"]["type"] == "Bearer"
