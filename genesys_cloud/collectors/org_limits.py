"""Org limits (Limits API): every limit's value and default for the configured namespaces, and limit change
requests by status, with an event when a request changes status.

Endpoints (SDK apis/organization_api.py): `GET /api/v2/organizations/limits/namespaces` (to skip namespaces the
org does not have; its shape is UNVERIFIED, so entities of strings or of {name} are accepted),
`GET .../namespaces/{ns}` and `.../{ns}/defaults`, `GET .../changerequests` (last 365 days, nextUri paging).
"""

import re
from typing import Optional

from .. import tagging
from ..client import MalformedResponse, NotFound
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


def status_tag_value(status) -> str:
    """'ChangeImplemented' -> 'change_implemented' (tag values are lowercase words)."""
    return re.sub(r'(?<!^)(?=[A-Z])', '_', str(status or 'unknown')).lower()


class OrgLimitsCollector(Collector):
    name = 'org_limits'
    permissions = ('limits:organization:view',)

    @classmethod
    def minimum_requests(cls, size):
        # The namespace list, values and defaults per namespace the org has, one page of change requests.
        return 2 + 2 * size.limit_namespaces

    def collect(self):
        available = self._available_namespaces()
        for namespace in self.config.namespaces:
            if available is not None and namespace not in available:
                self.log.debug('%s: namespace %s does not exist in this org; skipped', self.name, namespace)
                continue
            # Each listing stands on its own: a 404 on the defaults keeps the values already read.
            try:
                values = namespace_listing(self.ctx, namespace)  # read fresh, and shared with object_limits
            except MalformedResponse as e:
                self.log.warning('%s: namespace %s skipped: %s', self.name, namespace, e)
                continue
            if values is None:
                self.log.debug('%s: namespace %s does not exist in this org; skipped', self.name, namespace)
                continue
            try:
                defaults = self.client.get(f'{BASE}/namespaces/{namespace}/defaults') or {}
            except NotFound:
                self.log.debug('%s: defaults of namespace %s not found; skipped', self.name, namespace)
                defaults = None
            for metric, listing in (('limits.value', values), ('limits.default', defaults)):
                entities = listing.get('entities') if isinstance(listing, dict) else None
                for limit in entities if isinstance(entities, list) else []:
                    found = self.per_item('limit', limit, _limit)
                    if found is not None:
                        key, value, limit_namespace = found
                        tags = [tagging.tag('namespace', limit_namespace or namespace), tagging.tag('limit_key', key)]
                        self.gauge(metric, value, tags)
        if self.config.change_requests:
            self._change_requests()

    def _available_namespaces(self):
        """Namespace names of the org, or None when the listing is missing (404) or its shape is not understood
        (then try them all)."""
        names = set()
        try:
            for item in self.client.iter_pages(f'{BASE}/namespaces', page_size=100):
                name = item if isinstance(item, str) else (item.get('name') or item.get('namespace'))
                if name:
                    names.add(name)
        except NotFound:
            self.log.debug('%s: the namespace listing is not available; every configured namespace is tried',
                           self.name)
            return None
        except (AttributeError, TypeError):
            return None
        return names or None

    def _change_requests(self):
        listed = list(self._list_change_requests())
        requests = [r for r in listed if self.per_item('limit change request', r, _change_request) is not None]
        by_status = dict.fromkeys(STATUSES, 0)
        for request in requests:
            status = request.get('status')
            by_status[status] = by_status.get(status, 0) + 1
        for status, n in by_status.items():
            self.gauge('limits.change_requests', n, [tagging.tag('status', status_tag_value(status))])

        known = self.state.get('change_requests', shape=dict[str, Optional[str]])  # id -> status last seen
        if known is None:  # with no memory (first run, lost cache) nothing is announced: no duplicates
            known = {}
            announce = False
        else:
            announce = True
        for request in requests:
            if request['id'] in known and known[request['id']] == request.get('status'):
                continue
            if announce:
                before = known.get(request['id'])
                event = self.per_item('limit change request', request, lambda r, b=before: _announcement(r, b))
                if event is not None:
                    self.event(**event)
            known[request['id']] = request.get('status')
            if announce:
                self.state.set('change_requests', known)  # committed with its event, one request at a time
        self.state.set('change_requests', known)
        if len(requests) == len(listed):
            # Forget requests no longer listed, but only after a clean listing: one skipped as malformed is still
            # known, or it would be announced as new when it comes back readable.
            current = {r['id'] for r in requests}
            self.state.set('change_requests', {k: v for k, v in known.items() if k in current})

    def _list_change_requests(self):
        """Every request of the last 365 days (nextUri paging); a listing without `entities` is an error."""
        return self.client.iter_next_uri(f'{BASE}/changerequests', params={'pageSize': 25}, max_pages=MAX_PAGES,
                                         strict=True)


def _limit(limit):
    """(key, value, namespace) of one limit, or None for a limit without a value; raises on a malformed one."""
    key, value = limit.get('key'), limit.get('value')
    if key is None or value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f'value {value!r} is not a number')
    return str(key), float(value), limit.get('namespace')


def _change_request(request):
    """A request that can be keyed and counted: a string id and a string (or absent) status."""
    if not isinstance(request.get('id'), str) or not isinstance(request.get('status'), (str, type(None))):
        raise TypeError('no string id or status')
    return request


def _announcement(request, before):
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
    return {
        'title': f'Genesys Cloud limit change request {key}: {change}',
        'text': '\n'.join(lines),
        'tags': [tagging.tag('namespace', namespace), tagging.tag('limit_key', key),
              tagging.tag('status', status_tag_value(status))],
        'alert_type': ALERT_TYPES.get(status, 'info'),
        'aggregation_key': f'genesys_cloud_limit_change_request:{request.get("id")}',
    }


def _number(value):
    if not isinstance(value, (int, float)):
        return 'unknown'
    return str(int(value)) if float(value).is_integer() else str(value)
