"""The worker's Temporal SDK metrics (task slots, pollers, schedule-to-start and execution
latencies, failures) on a Prometheus endpoint the SDK's core serves itself."""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def serve_sdk_metrics(bind_address: str) -> Runtime:
    """Make a runtime that serves the SDK's metrics at http://{bind_address}/metrics the
    process's default, so every client and worker made after this reports there. Call it
    before the first client connects: a default runtime cannot be replaced once used."""
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address)))
    Runtime.set_default(runtime, error_if_already_set=True)
    return runtime
