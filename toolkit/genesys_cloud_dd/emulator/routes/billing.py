"""Billing contracts (preview), billing-period charges and the billable usage report (SDK `apis/billing_api.py`).

Models: BillingContractListing (before/after cursors, pageSize at most 10), BillingContractPeriodDetail
(charges with prepaidQuantity/actualQuantity/overageQuantity and the AI token fields), BillingUsageReport
(status InProgress|Complete, usages[].totalUsage as a decimal string). Product names and SKUs are
illustrative (reference section 7.2).
"""

from ..data.licensing import licensing
from ..errors import ApiError, bad_request, not_found
from ..formats import iso_date, iso_ms
from ..jobs import BILLABLE_USAGE_STATES
from ..paging import before_after_page
from ..routing import Sample, route
from ..validation import check_enum, parse_instant

BILLING_VIEW = ('billing:subscription:view',)
BILLABLE_USAGE = ('billing:subscription:read', 'billing:subscription:view')


def _contract(request):
    data = licensing(request.org)
    now = request.clock.now()
    periods = data.periods(now)
    return {
        'id': data.contract_id,
        'externalNumber': 'C-' + data.contract_id[:8].upper(),
        'status': 'Active',
        'commercialModel': 'Subscription',  # free-form string in the SDK; the value is illustrative
        'dateStart': iso_date(periods[0][1]),
        'dateEnd': iso_date(periods[-1][2].replace(year=periods[-1][2].year + 2)),
        'billingPeriods': [
            {'id': pid, 'dateStart': iso_date(start), 'dateEnd': iso_date(end), 'status': status}
            for pid, start, end, status in periods
        ],
        'plans': [],
    }


@route('GET', '/api/v2/billing/contracts', sdk_model='BillingContractListing', permissions=BILLING_VIEW)
def get_billing_contracts(request):
    data = licensing(request.org)
    contracts = [_contract(request)] if data.has_contracts else []
    status = request.query.get('status')
    if status:
        check_enum(status, ('Active', 'Inactive'), 'status')
        contracts = [c for c in contracts if c['status'] == status]
    return before_after_page(request, contracts, default_size=10, max_size=10)


def _period_sample(api):
    contract = api.get('/api/v2/billing/contracts').json()['entities'][0]
    return Sample(path_params={'contractId': contract['id'], 'billingPeriodId': contract['billingPeriods'][-1]['id']})


@route('GET', '/api/v2/billing/contracts/{contractId}/billingperiods/{billingPeriodId}',
       sdk_model='BillingContractPeriodDetail', permissions=BILLING_VIEW, samples=_period_sample)
def get_billing_period(request):
    data = licensing(request.org)
    now = request.clock.now()
    period = data.period(request.path_params['billingPeriodId'], now)
    if not data.has_contracts or request.path_params['contractId'] != data.contract_id or period is None:
        raise not_found('Billing period not found')
    pid, start, end, status = period
    charges = []
    for spec, prepaid, actual, extra in data.charges(start, end, now):
        overage = max(0.0, actual - prepaid)
        charge = {
            'id': f'{pid}-{spec["sku"].lower()}',
            'name': spec['name'],
            'product': {'id': spec['sku'].lower(), 'sku': spec['sku'], 'name': spec['name'],
                        'unitOfMeasure': spec['unit']},
            'prepaidQuantity': prepaid,
            'fairuseQuantity': 0.0,
            'actualQuantity': actual,
            'overageQuantity': overage,
            'overageRate': spec['overage_rate'],
            'overageCharge': round(overage * spec['overage_rate'], 2),
            'overageCurrency': 'USD',
        }
        charge.update(extra)
        charges.append(charge)
    return {'id': pid, 'dateStart': iso_date(start), 'dateEnd': iso_date(end), 'status': status,
            'charges': charges, 'wallets': []}


@route('GET', '/api/v2/billing/reports/billableusage', sdk_model='BillingUsageReport', permissions=BILLABLE_USAGE,
       samples=Sample(query={'startDate': '2026-11-01T00:00:00Z', 'endDate': '2026-11-18T00:00:00Z'}, polls=2))
def get_billable_usage(request):
    """The report of a window is a job identified by the window: InProgress for the emulator's `job_polls`
    requests, then Complete. A stuck_job fault holds one request InProgress; a failed_job fault answers 500
    (the model has no failed status; what the platform does is UNVERIFIED)."""
    for name in ('startDate', 'endDate'):
        if not request.query.get(name):
            raise bad_request(f'Missing required query parameter: {name}', field=name)
    start = parse_instant(request.query['startDate'], 'startDate')
    end = parse_instant(request.query['endDate'], 'endDate')
    data, clock = licensing(request.org), request.clock
    report_id = f'billable-{int(start.timestamp())}-{int(end.timestamp())}'
    jobs = request.emulator.jobs
    # Not created with `request`: its faults apply to this poll only, not to every later one.
    jobs.create(lambda: data.billable_usage(start, end, clock.now()), BILLABLE_USAGE_STATES, kind='billable-usage',
                job_id=report_id)
    poll = jobs.poll(report_id, request, kind='billable-usage')
    if poll.failed:
        raise ApiError(500, message=f'The billable usage report failed: {poll.error}')
    body = {'id': report_id, 'name': 'Billable usage', 'startDate': iso_ms(start), 'endDate': iso_ms(end),
            'selfUri': '/api/v2/billing/reports/billableusage', 'status': poll.state, 'usages': []}
    if poll.done:
        body['usages'] = [{'name': name, 'totalUsage': _decimal(total), 'resources': []}
                          for name, total in poll.result.items()]
    return body


def _decimal(value):
    return f'{value:.2f}'.rstrip('0').rstrip('.') if value % 1 else str(int(value))
