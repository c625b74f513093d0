"""The pipeline's metrics as Prometheus families: a custom Collector over one snapshot read
from Postgres (sitegen/db/metrics.py) for the scrape being answered.

`collect` is synchronous and the database async, so the route reads the snapshot first and
this collector only shapes it; a fresh one per scrape, never registered globally, so no
process keeps a count that another API process would contradict.

Types tell Prometheus how to read each family. AI tokens and cost only grow (a call's cost
is written once when it settles, and ledger rows are never deleted): counters. Everything
counted over rows that change state (a step re-run, a call settled) is a gauge, and the step
durations a gauge histogram: use `histogram_quantile` on its buckets directly, not on
their `rate()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from sitegen.contracts.pipeline import StepKey
from sitegen.contracts.status import ProjectStatus, RevisionStatus, StepStatus
from sitegen.db.costs import AICallStatus
from sitegen.db.metrics import DURATION_BUCKETS, MetricsSnapshot

# A step name the code no longer has (an old row) is reported under this, so the label's
# values stay a closed set.
OTHER_STEP = "other"
_STEPS = [s.value for s in StepKey]
_TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")


def _step(name: str) -> str:
    return name if name in _STEPS else OTHER_STEP


def _grid(values: dict[tuple[str, str], float], steps: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Every known (step, status), so a series an alert reads is there at 0 too."""
    seen = {step for step, _ in values}
    for step in [*steps, *sorted(seen - set(steps))]:
        for status in StepStatus:
            yield step, status.value


class SnapshotCollector:
    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from self._steps()
        yield from self._life()
        yield from self._ai()
        yield from self._outbox()

    def _steps(self) -> Iterator[Metric]:
        rows: dict[tuple[str, str], float] = defaultdict(float)
        recent: dict[tuple[str, str], float] = defaultdict(float)
        oldest: dict[str, float] = dict.fromkeys(_STEPS, 0.0)
        timed: dict[str, list[float]] = {}
        for g in self.snapshot.steps:
            key = (_step(g.step), g.status)
            rows[key] += g.rows
            recent[key] += g.finished_recently
            oldest[key[0]] = max(oldest.get(key[0], 0.0), g.oldest_running_seconds)
            if g.timed:
                # Per step, whatever its rows' status: [count per bound..., count, sum].
                acc = timed.setdefault(key[0], [0.0] * (len(DURATION_BUCKETS) + 2))
                for i, n in enumerate((*g.le_counts, g.timed, g.duration_sum_seconds)):
                    acc[i] += n
        durations = GaugeHistogramMetricFamily(
            "sitegen_pipeline_step_duration_seconds",
            "How long each project's latest finished run of a step took (pipeline_step).",
            labels=["step"],
        )
        for step, acc in sorted(timed.items()):
            bounds = [floatToGoString(b) for b in (*DURATION_BUCKETS, float("inf"))]
            durations.add_metric([step], list(zip(bounds, acc[:-1], strict=True)), acc[-1])
        yield durations
        steps = GaugeMetricFamily(
            "sitegen_pipeline_steps",
            "Steps by their current status: one row per project and step.",
            labels=["step", "status"],
        )
        finished = GaugeMetricFamily(
            "sitegen_pipeline_steps_finished_last_hour",
            "Steps that finished in the last hour, by outcome (a failure retried since is "
            "counted by its new outcome).",
            labels=["step", "status"],
        )
        for key in _grid(rows, _STEPS):
            steps.add_metric(list(key), rows.get(key, 0))
            finished.add_metric(list(key), recent.get(key, 0))
        yield steps
        yield finished
        running = GaugeMetricFamily(
            "sitegen_pipeline_step_oldest_running_seconds",
            "How long the longest-running step of each name has been running, retries "
            "included (0: none running).",
            labels=["step"],
        )
        for step, seconds in oldest.items():
            running.add_metric([step], seconds)
        yield running
        yield GaugeMetricFamily(
            "sitegen_projects_failed_last_hour",
            "Projects with a step that failed in the last hour and has not run again since.",
            value=self.snapshot.projects_failed_recently,
        )

    def _life(self) -> Iterator[Metric]:
        for name, doc, vocabulary, counts in (
            ("sitegen_projects", "Projects by status.", ProjectStatus, self.snapshot.projects),
            (
                "sitegen_revisions",
                "Revision requests by status.",
                RevisionStatus,
                self.snapshot.revisions,
            ),
        ):
            family = GaugeMetricFamily(name, doc, labels=["status"])
            for status in vocabulary:
                family.add_metric([status.value], counts.get(status.value, 0))
            yield family

    def _ai(self) -> Iterator[Metric]:
        calls = GaugeMetricFamily(
            "sitegen_ai_calls",
            "AI calls in the cost ledger by status (reserved: in flight; unknown: the answer "
            "was lost, maybe billed).",
            labels=["status"],
        )
        tokens = CounterMetricFamily(
            "sitegen_ai_tokens", "AI tokens billed, by pipeline step.", labels=["step", "kind"]
        )
        cost = CounterMetricFamily(
            "sitegen_ai_cost_usd", "AI cost billed in USD, by pipeline step.", labels=["step"]
        )
        by_status: dict[str, float] = dict.fromkeys((s.value for s in AICallStatus), 0.0)
        step_tokens: dict[tuple[str, str], float] = defaultdict(float)
        step_cost: dict[str, float] = defaultdict(float)
        limited = 0
        for g in self.snapshot.ai:
            by_status[g.status] = by_status.get(g.status, 0.0) + g.calls
            step = _step(g.step)
            counts = (g.input_tokens, g.output_tokens, g.cache_read_tokens, g.cache_write_tokens)
            for kind, n in zip(_TOKEN_KINDS, counts, strict=True):
                step_tokens[(step, kind)] += n
            step_cost[step] += float(g.cost_usd)
            limited += g.provider_rate_limited
        for status, count in by_status.items():
            calls.add_metric([status], count)
        for key, total in sorted(step_tokens.items()):
            tokens.add_metric(list(key), total)
        for step, usd in sorted(step_cost.items()):
            cost.add_metric([step], usd)
        yield from (calls, tokens, cost)
        yield CounterMetricFamily(
            "sitegen_ai_provider_rate_limited",
            "AI calls the provider refused with HTTP 429 (its rate limit or quota).",
            value=limited,
        )
        quota = GaugeMetricFamily(
            "sitegen_ai_quota_used_ratio",
            "The highest share of an AI quota any project has used: hourly_calls (its calls "
            "in the last hour over SITEGEN_RATE_AI_CALLS_PER_PROJECT_HOUR; at 1 calls wait) "
            "and budget (unfinished projects: spent and reserved over the AI budget).",
            labels=["quota"],
        )
        quota.add_metric(["hourly_calls"], self.snapshot.quotas.hourly_calls)
        quota.add_metric(["budget"], self.snapshot.quotas.budget)
        yield quota

    def _outbox(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "sitegen_outbox_unsent",
            "Notifications waiting to be sent (not sent, not given up).",
            value=self.snapshot.outbox_unsent,
        )
        yield GaugeMetricFamily(
            "sitegen_outbox_oldest_unsent_age_seconds",
            "How long the oldest notification waiting to be sent has waited (0: none).",
            value=self.snapshot.outbox_oldest_unsent_seconds,
        )


def exposition(snapshot: MetricsSnapshot, accept: str | None) -> tuple[bytes, str]:
    """The scrape's body and content type: OpenMetrics when the scraper asks for it (as
    Prometheus does), else the classic text format."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(SnapshotCollector(snapshot)), content_type
