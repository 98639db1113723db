"""Prometheus metrics of one gateway instance (its own registry: no global state).

Labels are route templates, methods, status codes, jurisdiction codes, countries and
rule ids: bounded, and never a subject id, token or value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """Counters and histograms served at ``/v1/metrics``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "domicile_gateway_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "domicile_gateway_request_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.values = Counter(
            "domicile_gateway_values",
            "Values handled by batch operations.",
            ["operation"],
            registry=self.registry,
        )
        self.transfers = Counter(
            "domicile_gateway_transfer_decisions",
            "Cross-border transfer decisions (outcome allowed or refused, with the refusing rule).",
            ["jurisdiction", "destination", "outcome", "rule"],
            registry=self.registry,
        )
        self.denials = Counter(
            "domicile_gateway_authz_denials",
            "Requests refused by the authorization matrix.",
            ["role", "action"],
            registry=self.registry,
        )
        self.auth_failures = Counter(
            "domicile_gateway_auth_failures", "Requests without a valid API key.", registry=self.registry
        )
        self.idempotent_replays = Counter(
            "domicile_gateway_idempotent_replays",
            "Writes answered from the idempotency store.",
            registry=self.registry,
        )

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
