"""Agent-less mode: run the check on a schedule and submit to the Datadog API (`genesys-cloud-dd agentless`)."""

from .outbox import Outbox
from .payloads import MetricTransformer, build_payloads
from .runner import AgentlessRunner, CycleReport

__all__ = ['AgentlessRunner', 'CycleReport', 'MetricTransformer', 'Outbox', 'build_payloads']
