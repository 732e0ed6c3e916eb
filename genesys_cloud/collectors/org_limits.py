"""Org limits (Limits API): every limit's value and default for the configured namespaces, and limit change
requests by status, with an event when a request changes status.

Endpoints (SDK apis/organization_api.py): `GET /api/v2/organizations/limits/namespaces` (to skip namespaces the
org does not have; its shape is UNVERIFIED, so entities of strings or of {name} are accepted),
`GET .../namespaces/{ns}` and `.../{ns}/defaults`, `GET .../changerequests` (last 365 days, nextUri paging).
"""

import re

from .. import tagging
from ..client import NotFound
from .base import Collector
from .limit_values import BASE, namespace_listing

MAX_PAGES = 100  # 2,500 change requests: far more than a year of them
# LimitChangeRequestDetails.status allowed values (SDK 269)
STATUSES = ('Approved', 'Rejected', 'Rollback', 'Pending', 'Open', 'SecondaryApprovalNamespacesAdded',
            'ReviewerApproved', 'ReviewerRejected', 'ReviewerRollback', 'ImplementingChange', 'ChangeImplemented',
            'ImplementingRollback', 'RollbackImplemented')
ALERT_TYPES = {'Approved': 'success', 'ChangeImplemented': 'success', 'ReviewerApproved': 'success',
               'Rejected': 'error', 'ReviewerRejected': 'error', 'Rollback': 'warning', 'ReviewerRollback': 'warning',
               'ImplementingRollback': 'warning', 'RollbackImplemented': 'warning'}
# Names from the SDK's Limit.namespace enum.
DEFAULT_NAMESPACES = ['platform.api', 'auth.api', 'dataactions', 'datatables', 'integrations', 'analytics',
                      'notifications', 'routing', 'architect']


def status_tag_value(status) -> str:
    """'ChangeImplemented' -> 'change_implemented' (tag values are lowercase words)."""
    return re.sub(r'(?<!^)(?=[A-Z])', '_', str(status or 'unknown')).lower()


class OrgLimitsCollector(Collector):
    name = 'org_limits'
    default_interval = 14400
    permissions = ('limits:organization:view',)
    defaults = {'namespaces': DEFAULT_NAMESPACES, 'change_requests': True}

    @classmethod
    def minimum_requests(cls, size):
        # The namespace list, values and defaults per namespace the org has, one page of change requests.
        return 2 + 2 * size.limit_namespaces

    def collect(self):
        available = self._available_namespaces()
        for namespace in self.options.get('namespaces') or []:
            if available is not None and namespace not in available:
                self.log.debug('%s: namespace %s does not exist in this org; skipped', self.name, namespace)
                continue
            values = namespace_listing(self.ctx, namespace)  # read fresh, and shared with object_limits
            try:
                defaults = None if values is None else self.client.get(f'{BASE}/namespaces/{namespace}/defaults')
            except NotFound:
                defaults = None
            if defaults is None:
                self.log.debug('%s: namespace %s does not exist in this org; skipped', self.name, namespace)
                continue
            for metric, listing in (('limits.value', values), ('limits.default', defaults)):
                for limit in listing.get('entities') or []:
                    if limit.get('key') is None or limit.get('value') is None:
                        continue
                    tags = [tagging.tag('namespace', limit.get('namespace') or namespace),
                            tagging.tag('limit_key', limit['key'])]
                    self.gauge(metric, float(limit['value']), tags)
        if self.options.get('change_requests', True):
            self._change_requests()

    def _available_namespaces(self):
        """Namespace names of the org, or None when the listing's shape is not understood (then try them all)."""
        names = set()
        try:
            for item in self.client.iter_pages(f'{BASE}/namespaces', page_size=100):
                name = item if isinstance(item, str) else (item.get('name') or item.get('namespace'))
                if name:
                    names.add(name)
        except (AttributeError, TypeError):
            return None
        return names or None

    def _change_requests(self):
        requests = self._list_change_requests()
        by_status = dict.fromkeys(STATUSES, 0)
        for request in requests:
            status = request.get('status')
            by_status[status] = by_status.get(status, 0) + 1
        for status, n in by_status.items():
            self.gauge('limits.change_requests', n, [tagging.tag('status', status_tag_value(status))])

        known = self.state.get('change_requests')  # id -> status at the last collection
        current = {r['id']: r.get('status') for r in requests if r.get('id')}
        if known is not None:  # with no memory (first run, lost cache) nothing is announced: no duplicates
            for request in requests:
                before = known.get(request.get('id'))
                if request.get('id') and before != request.get('status'):
                    self._announce(request, before)
        self.state.set('change_requests', current)

    def _list_change_requests(self):
        """Every request of the last 365 days (nextUri paging); a listing without `entities` is an error."""
        pages = self.client.iter_next_uri(f'{BASE}/changerequests', params={'pageSize': 25}, max_pages=MAX_PAGES,
                                          strict=True)
        return [r for r in pages if isinstance(r, dict)]

    def _announce(self, request, before):
        namespace, key, status = request.get('namespace'), request.get('key'), request.get('status')
        change = f'{before} -> {status}' if before else f'opened ({status})'
        lines = [
            f'Limit change request for `{namespace}` / `{key}`: {change}.',
            f'Requested value: {_number(request.get("requestedValue"))}; '
            f'current value: {_number(request.get("currentValue"))}.',
        ]
        if request.get('rejectReason'):
            lines.append(f'Reject reason: {request["rejectReason"]}.')
        history = request.get('statusHistory') or []
        if history and history[-1].get('message'):
            lines.append(f'Message: {history[-1]["message"]}')
        self.event(
            title=f'Genesys Cloud limit change request {key}: {change}',
            text='\n'.join(lines),
            tags=[tagging.tag('namespace', namespace), tagging.tag('limit_key', key),
                  tagging.tag('status', status_tag_value(status))],
            alert_type=ALERT_TYPES.get(status, 'info'),
            aggregation_key=f'genesys_cloud_limit_change_request:{request.get("id")}',
        )


def _number(value):
    if not isinstance(value, (int, float)):
        return 'unknown'
    return str(int(value)) if float(value).is_integer() else str(value)
