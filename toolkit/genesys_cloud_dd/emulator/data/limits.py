"""Org limits (values and defaults per namespace) and limit change requests: ground truth for the Limits API.

The platform.api and dataactions keys and defaults come from the reference (4.2, Part A 4); the other keys
are illustrative (UNVERIFIED): the real catalogue is `GET /api/v2/organizations/limits/docs`. The org has
the namespaces of the SDK's Limit.namespace enum the check asks for by default; tests delete one to exercise
the "namespace the org does not have" path. Object-count keys are spelt as data/objects.py says (the
live-checked spellings, or the legacy ones with OrgOptions.legacy_limit_keys).
"""

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from .objects import LEGACY_KEYS, OBJECT_LIMITS

DEFAULT_LIMITS = {
    'platform.api': {'client.credentials.token.rate.per.minute': 300, 'token.rate.per.minute': 300,
                     'org.app.user.rate.per.minute': 3000, 'request.bytes.max': 512000},
    'auth.api': {'token.creation.rate.per.minute': 300, 'active.tokens.max': 500},
    'dataactions': {'actions.concurrent.executions.max': 50, 'actions.integration.max': 50,
                    'actions.total.max': 500, 'requests.volume.max': 900},
    'integrations': {'integrations.max': 100},
    'analytics': {'conversation.details.query.concurrent.max': 10, 'aggregates.query.rate.per.minute': 300},
    'notifications': {'channels.max': 20, 'topics.per.channel.max': 1000},
    'routing': {'queues.max': 1000, 'skills.max': 1000},
    'architect': {'flows.max': 1000, 'datatable.rows.max': 5000},
    'usage': {'query.rate.per.minute': 10},
    'presence': {'definitions.max': 100},
}

# Statuses of LimitChangeRequestDetails.status (SDK allowed_values).
STATUSES = ('Approved', 'Rejected', 'Rollback', 'Pending', 'Open', 'SecondaryApprovalNamespacesAdded',
            'ReviewerApproved', 'ReviewerRejected', 'ReviewerRollback', 'ImplementingChange', 'ChangeImplemented',
            'ImplementingRollback', 'RollbackImplemented')
TERMINAL = ('ChangeImplemented', 'Rejected', 'RollbackImplemented', 'ReviewerRejected')


@dataclass
class StatusChange:
    when: datetime
    status: str
    previous: Optional[str]
    message: str = ''


@dataclass
class ChangeRequest:
    id: str
    namespace: str
    key: str
    requested_value: float
    current_value: float
    description: str
    status: str
    date_created: datetime
    history: list = field(default_factory=list)
    date_completed: Optional[datetime] = None
    reject_reason: Optional[str] = None


class OrgLimits:
    def __init__(self, org):
        self.org = org
        self._lock = threading.Lock()
        rng = org.rng('limits')
        self.defaults = {ns: dict(keys) for ns, keys in DEFAULT_LIMITS.items()}
        # Effective values: a few raised after a change request, the rest at their default.
        self.values = {ns: dict(keys) for ns, keys in DEFAULT_LIMITS.items()}
        raised = rng.sample([(ns, k) for ns, keys in DEFAULT_LIMITS.items() for k in keys], 3)
        for ns, key in raised:
            self.values[ns][key] = self.defaults[ns][key] * 2
        self.change_requests = self._make_requests(rng, raised)
        # Object-count limits (data/objects.py) join after the draws above, so those stay as they were.
        for ns, keys in OBJECT_LIMITS.items():
            for key, (default, _description, _resource) in keys.items():
                self.defaults.setdefault(ns, {}).setdefault(key, default)
                self.values.setdefault(ns, {}).setdefault(key, default)
        legacy = getattr(org.options, 'legacy_limit_keys', False)
        for live, old in LEGACY_KEYS.items():
            # A key both tables name (routing/skills.max above) keeps its drawn value under the org's spelling.
            self._respell(*((live, old) if legacy else (old, live)))

    def _respell(self, source, target):
        """Move a limit to another spelling; a value DEFAULT_LIMITS drew wins over an OBJECT_LIMITS default."""
        (src_ns, src_key), (dst_ns, dst_key) = source, target
        if src_key not in self.defaults.get(src_ns, {}):
            return
        drawn = src_key in DEFAULT_LIMITS.get(src_ns, {})
        for table in (self.defaults, self.values):
            value = table[src_ns].pop(src_key)
            if not table[src_ns]:
                del table[src_ns]
            if drawn or dst_key not in table.get(dst_ns, {}):
                table.setdefault(dst_ns, {})[dst_key] = value
        for request in self.change_requests:
            if (request.namespace, request.key) == source:
                request.namespace, request.key = target

    def _make_requests(self, rng, raised):
        now = self.org.anchor
        plans = [(raised[0], 'ChangeImplemented'), (raised[1], 'ChangeImplemented'),
                 (('platform.api', 'token.rate.per.minute'), 'Pending'),
                 (('dataactions', 'actions.concurrent.executions.max'), 'Open'),
                 (('analytics', 'conversation.details.query.concurrent.max'), 'Rejected')]
        requests = []
        for (ns, key), status in plans:
            created = now - timedelta(days=rng.randint(10, 200), seconds=rng.randint(0, 86399))
            current = float(self.defaults[ns][key])
            request = ChangeRequest(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                namespace=ns, key=key, requested_value=current * 2, current_value=current,
                description=f'Raise {key}: integration growth', status='Open', date_created=created,
                history=[StatusChange(created, 'Open', None, 'Request created')])
            if status != 'Open':
                self._set(request, status, created + timedelta(days=rng.randint(1, 9)))
            requests.append(request)
        return requests

    def _set(self, request, status, when, message=''):
        request.history.append(StatusChange(when, status, request.status, message))
        request.status = status
        if status in TERMINAL:
            request.date_completed = when
        if status == 'Rejected':
            request.reject_reason = 'IncreaseNotRequired'
        if status == 'ChangeImplemented':
            request.current_value = request.requested_value

    # -- lookups and mutations tests use -----------------------------------------------------------

    @property
    def namespaces(self):
        return sorted(self.values)

    def change_request(self, request_id) -> Optional[ChangeRequest]:
        return next((r for r in self.change_requests if r.id == request_id), None)

    def set_status(self, request_id, status, message=''):
        """Move a change request to `status` now (implemented requests also change the limit's value)."""
        if status not in STATUSES:
            raise ValueError(f'{status} is not a change request status')
        with self._lock:
            request = self.change_request(request_id)
            if request is None:
                raise KeyError(request_id)
            self._set(request, status, self.org.clock.now(), message)
            if status == 'ChangeImplemented' and request.key in self.values.get(request.namespace, {}):
                self.values[request.namespace][request.key] = int(request.requested_value)
            return request

    def set_value(self, namespace, key, value):
        with self._lock:
            self.values.setdefault(namespace, {})[key] = value


def org_limits(org) -> OrgLimits:
    return org.ext(OrgLimits)
