"""Collectors, in the order a run executes them: cheap, fresh data first, heavy refreshes last."""

from .agents import AgentsCollector
from .api_usage import ApiUsageCollector
from .base import Collector, CollectorContext
from .billing import BillingCollector
from .concurrent_usage import ConcurrentUsageCollector
from .data_actions import DataActionsCollector
from .licenses import LicensesCollector
from .longest_wait import LongestWaitCollector
from .object_limits import ObjectLimitsCollector
from .operational_events import OperationalEventsCollector
from .org import OrgCollector
from .org_limits import OrgLimitsCollector
from .queues import QueuesCollector
from .rate_limits import RateLimitsCollector

COLLECTORS = (OrgCollector, LongestWaitCollector, AgentsCollector, QueuesCollector, RateLimitsCollector,
              DataActionsCollector, OperationalEventsCollector, ConcurrentUsageCollector, LicensesCollector,
              BillingCollector, ApiUsageCollector, OrgLimitsCollector, ObjectLimitsCollector)

__all__ = ['COLLECTORS', 'Collector', 'CollectorContext']
