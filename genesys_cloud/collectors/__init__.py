"""Collectors, in the order a run executes them: cheap, fresh data first, heavy refreshes last."""

from .base import Collector, CollectorContext
from .org import OrgCollector

COLLECTORS = (OrgCollector,)

__all__ = ['COLLECTORS', 'Collector', 'CollectorContext']
