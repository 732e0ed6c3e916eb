"""Billing, licence baseline vs. consumption, AI tokens, and month-end projections.

Sources, refreshed every `refresh` seconds (default hourly) and kept in memory between refreshes:
1. The contract's Open billing period (GET /api/v2/billing/contracts?status=Active, then
   GET .../contracts/{id}/billingperiods/{periodId}): per charge prepaidQuantity, actualQuantity,
   overageQuantity and, for AI products, convertedTokenCount and tokenConversionRate. 2 requests.
2. When the contract API is absent, refused or lists nothing: GET /api/v2/billing/reports/billableusage for the
   billing period so far (actual usage only). It may answer InProgress; the next collection asks again.
3. Configuration: `license_baseline` (purchased licences when no contract charge is mapped) and
   `ai_token_allowance` (when no contract AI charge has a prepaid quantity).

Every collection (cheap: no request between refreshes) recomputes the licence figures from the latest
estimates of the other collectors: consumed = the billable concurrent peak (license_model concurrent, the
whole org) or the users holding the licence (named), or Genesys's own actual quantity of the mapped charge
when that is higher.
"""

from datetime import datetime, timezone

from typing_extensions import TypedDict

from .. import tagging
from ..client import MalformedResponse, NotFound, PermissionDenied
from ..clock import iso_utc
from ..periods import current_period, parse_periods, projection_ready
from .base import Collector, describe
from .licensing_support import (
    PROJECTION_ANCHOR,
    SHARED_ASSIGNED,
    SHARED_CONCURRENT,
    billing_period,
    linear_projection,
)


class Anchors(TypedDict):
    period: str
    values: dict[str, tuple[float, float]]


class BillingCollector(Collector):
    name = 'billing'
    permissions = ('billing:subscription:view', 'billing:subscription:read')

    @classmethod
    def minimum_requests(cls, size):
        return 2  # the contract, then its open billing period

    def __init__(self, ctx):
        super().__init__(ctx)
        self._cached = None  # the billing period's charges as last read
        self._pending = None  # the billable usage window asked for while its report is InProgress

    def collect(self):
        now = self.clock.now()
        start, end = billing_period(now, self.config.billing_period_start_day)
        data = self._billing_data(now, start, end) or {'charges': [], 'as_of': now.timestamp()}
        if data.get('window'):  # the contract's own period, when it has one: its dates decide the projections
            start, end = (datetime.fromtimestamp(t, tz=timezone.utc) for t in data['window'])
        charges = data['charges']
        for charge in charges:
            tags = [tagging.tag('charge', charge['name']), tagging.tag('unit', (charge['unit'] or 'unknown').lower())]
            self.gauge('billing.usage', charge['actual'], tags=tags)
            if charge['prepaid'] is not None:
                self.gauge('billing.prepaid', charge['prepaid'], tags=tags)
                self.gauge('billing.overage', charge['overage'], tags=tags)
        self._tokens(charges, data['as_of'], start, end)
        self._licences(charges, now, start, end)

    # -- AI tokens -----------------------------------------------------------------------------------

    def _tokens(self, charges, as_of, start, end):
        ai = [c for c in charges if c['tokens'] is not None]
        if ai:
            consumed = sum(c['tokens'] for c in ai)
            self.gauge('ai_tokens.consumed', consumed)
            when = datetime.fromtimestamp(as_of, tz=timezone.utc)
            if projection_ready(when, start, end):  # withheld early in a period: a few hours make no trend
                self.gauge('ai_tokens.projected', linear_projection(consumed, when, start, end, cumulative=True))
        allowances = [c['token_allowance'] for c in ai if c['token_allowance'] is not None]
        if allowances:
            self.gauge('ai_tokens.allowance', sum(allowances))
        elif self.config.ai_token_allowance is not None:
            self.gauge('ai_tokens.allowance', self.config.ai_token_allowance)

    # -- licences ------------------------------------------------------------------------------------

    def _licences(self, charges, now, start, end):
        baseline = {str(k).lower(): v for k, v in self.config.license_baseline.items()}
        mapping = {str(k).lower(): str(v).lower() for k, v in self.config.license_charges.items()}
        named = self.config.license_model == 'named'
        assigned = self.ctx.shared.get(SHARED_ASSIGNED) or {}
        concurrent = self.ctx.shared.get(SHARED_CONCURRENT)
        anchors = self._anchors(start)
        for lic in sorted(set(baseline) | set(mapping)):
            charge = next((c for c in charges if mapping.get(lic) in c['keys']), None) if lic in mapping else None
            purchased = charge['prepaid'] if charge and charge['prepaid'] is not None else baseline.get(lic)
            estimates = []
            if named and lic in assigned:
                estimates.append(float(assigned[lic]))
            if not named and concurrent is not None and concurrent['period'] == start.isoformat():
                estimates.append(float(concurrent['peak']))
            if charge is not None:
                estimates.append(float(charge['actual']))
            tags = [tagging.tag('license', lic)]
            if purchased is None:
                continue
            purchased = float(purchased)
            self.gauge('license.purchased', purchased, tags=tags)
            if not estimates:
                continue  # nothing consumed is known yet (the estimating collector is disabled or has not run)
            consumed = max(estimates)
            if purchased > 0:
                self.gauge('license.utilization', consumed / purchased, tags=tags)
            self.gauge('license.overage', max(0.0, consumed - purchased), tags=tags)
            if lic not in anchors and now.timestamp() - start.timestamp() >= PROJECTION_ANCHOR:
                anchors[lic] = [now.timestamp(), consumed]
                self.state.set('anchors', {'period': start.isoformat(), 'values': anchors})
            if projection_ready(now, start, end):
                projected = linear_projection(consumed, now, start, end, anchor=anchors.get(lic))
                self.gauge('license.projected_overage', max(0.0, projected - purchased), tags=tags)

    def _anchors(self, start):
        saved = self.state.get('anchors', shape=Anchors) or {}
        return dict(saved.get('values') or {}) if saved.get('period') == start.isoformat() else {}

    # -- billing API ---------------------------------------------------------------------------------

    def _billing_data(self, now, start, end):
        """The period's charges, from memory between refreshes (an Agent restart costs one refresh: 2 requests)."""
        cached = self._cached
        if cached and (cached['period'] != start.isoformat()
                       or (cached.get('window') and now.timestamp() >= cached['window'][1])):
            cached = self._cached = None  # a new billing period: last period's numbers mean nothing now
        if cached and not self._pending and now.timestamp() - cached['fetched'] < self.config.refresh:
            return cached
        charges, source, refused, window = None, 'contract', None, None
        if not self._pending:  # while a billable usage report is being prepared, ask only for that report
            try:
                charges, window = self._contract_charges(now)
            except (NotFound, PermissionDenied) as e:
                # A preview API: absent in some orgs; the billable usage report may still be allowed.
                self.log.debug('billing: contracts unavailable (%s), using the billable usage report', e)
                refused = e
        if charges is None:
            try:
                charges, source = self._billable_usage(start, now), 'billable_usage'
            except (NotFound, PermissionDenied):
                if refused is not None:
                    raise refused from None  # both refused: name the contract API, the primary source
                raise
        if charges is None:  # the report is still InProgress: keep what we had, ask again next collection
            return cached
        self._cached = {'period': start.isoformat(), 'fetched': now.timestamp(), 'as_of': now.timestamp(),
                        'source': source, 'charges': charges, 'window': window if source == 'contract' else None}
        return self._cached

    def _contract_charges(self, now):
        """Charges of the current billing period (genesys_cloud/periods.py) of every Active contract, and that
        period's (start, end) timestamps; (None, None) when the API gives none."""
        charges, window = [], None
        for contract in self._contracts():
            period = current_period(parse_periods(contract.get('billingPeriods'), self._skipped_period), now)
            if period is None:
                continue
            path = f'/api/v2/billing/contracts/{contract["id"]}/billingperiods/{period.id}'
            detail = self.client.get(path)
            if not isinstance(detail, dict) or not isinstance(detail.get('charges'), list):
                raise MalformedResponse(f'GET {path}', 'the billing period has no `charges` list')
            charges.extend(_contract_charge(c) for c in detail['charges'] if isinstance(c, dict))
            window = window or (period.start.timestamp(), period.end.timestamp())
        return (charges, window) if charges else (None, None)

    def _skipped_period(self, entry, reason):
        self.log.warning('%s: skipped a malformed billing period %s (%s)', self.name, describe(entry), reason)

    def _contracts(self):
        """Active contracts, following nextUri (at most 10 per page, SDK get_billing_contracts)."""
        pages = self.client.iter_next_uri('/api/v2/billing/contracts', params={'status': 'Active', 'pageSize': 10},
                                          max_pages=100, strict=True)
        return [c for c in pages if isinstance(c, dict) and c.get('id')]

    def _billable_usage(self, start, now):
        params = {'startDate': iso_utc(start), 'endDate': iso_utc(now)}
        if self._pending and self._pending['startDate'] == params['startDate']:
            params = self._pending  # ask for the same window until it completes, not a new report each time
        report = self.client.get('/api/v2/billing/reports/billableusage', params=params)
        status = report.get('status') if isinstance(report, dict) else None
        if status == 'InProgress':
            self._pending = params
            return None
        if status != 'Complete' or not isinstance(report.get('usages'), list):
            self._pending = None
            raise MalformedResponse('GET /api/v2/billing/reports/billableusage', 'no Complete status with usages')
        self._pending = None
        names = [n.lower() for n in self.config.ai_token_usage_names]
        charges = []
        for usage in (u for u in report['usages'] if isinstance(u, dict)):
            name = str(usage.get('name') or '')
            actual = _number(usage.get('totalUsage'))
            is_tokens = name.lower() in names if names else 'token' in name.lower()
            charges.append({'name': name, 'unit': None, 'keys': [name.lower()], 'prepaid': None, 'overage': None,
                            'actual': actual, 'tokens': actual if is_tokens else None, 'token_allowance': None})
        return charges


def _contract_charge(charge):
    product = charge.get('product') or {}
    unit = product.get('unitOfMeasure')
    prepaid = charge.get('prepaidQuantity')
    actual = _number(charge.get('actualQuantity'))
    overage = charge.get('overageQuantity')
    if prepaid is not None and overage is None:
        overage = max(0.0, actual - float(prepaid))
    rate = charge.get('tokenConversionRate')
    converted = charge.get('convertedTokenCount')
    tokens = allowance = None
    if converted is not None or rate is not None or unit == 'Token':
        # tokenConversionRate is "units per token" (SDK BillingCharge), so tokens = units / rate.
        per_token = float(rate) if rate else 1.0
        tokens = float(converted) if converted is not None else actual / per_token
        allowance = float(prepaid) / per_token if prepaid is not None else None
    name = charge.get('name') or product.get('name') or product.get('sku') or 'unknown'
    keys = [str(k).lower() for k in (charge.get('name'), product.get('name'), product.get('sku'), product.get('id'))
            if k]
    return {'name': name, 'unit': unit, 'keys': keys, 'prepaid': None if prepaid is None else float(prepaid),
            'actual': actual, 'overage': None if overage is None else float(overage), 'tokens': tokens,
            'token_allowance': allowance}


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
