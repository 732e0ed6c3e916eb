"""`report licenses`: consumed vs purchased per day in the open billing period, and the projected overage.

Sources (reference 7): the billing contract and its periods (prepaid vs actual per charge; closed periods are
final), the billable usage report asked once per elapsed day of the open period (cumulative from the period
start, so each day's point is what billing would count so far), and licence assignments per user. The
projection is the check's own (collectors.licensing_support.linear_projection): run rate for cumulative
charges (tokens, minutes), trend since day one for level charges (concurrent users: the peak so far).
"""

import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from datadog_checks.genesys_cloud.client import ApiUnreachable, AuthenticationError, GenesysApiError
from datadog_checks.genesys_cloud.collectors.licensing_support import linear_projection

from . import charts
from .document import Document
from .progress import Progress
from .pull import wait_for_job

CONTRACTS = '/api/v2/billing/contracts'
BILLABLE = '/api/v2/billing/reports/billableusage'
CUMULATIVE_UNITS = ('token', 'minute', 'minutes', 'tokens', 'message', 'messages')
DAILY_CSV, PERIODS_CSV = 'licenses_daily.csv', 'billing_periods.csv'


@dataclass
class Period:
    id: str
    start: datetime
    end: datetime  # exclusive
    status: str
    charges: list = field(default_factory=list)  # the API's charge dicts


@dataclass
class LicensesData:
    now: datetime
    periods: list = field(default_factory=list)
    daily: dict = field(default_factory=dict)  # usage name -> [(day, cumulative total)]
    assigned: Counter = field(default_factory=Counter)
    notes: list = field(default_factory=list)

    @property
    def open_period(self):
        return next((p for p in self.periods if p.status == 'Open'), self.periods[-1] if self.periods else None)


def _day(text):
    return datetime.fromisoformat(str(text)[:10]).replace(tzinfo=timezone.utc)


def _iso(when):
    return when.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def pull_licenses(client, now, sleep, progress=True, stream=None) -> LicensesData:
    data = LicensesData(now)
    try:
        contracts = (client.get(CONTRACTS, params={'pageSize': 10}) or {}).get('entities') or []
    except (AuthenticationError, ApiUnreachable):
        raise
    except GenesysApiError as e:
        contracts = []
        data.notes.append(f'billing contracts: not available ({e})')
    contract = next((c for c in contracts if c.get('status') == 'Active'), contracts[0] if contracts else None)
    if contract:
        for p in sorted(contract.get('billingPeriods') or [], key=lambda p: p.get('dateStart', '')):
            period = Period(p['id'], _day(p['dateStart']), _day(p['dateEnd']), p.get('status', ''))
            detail = client.get(f'{CONTRACTS}/{contract["id"]}/billingperiods/{period.id}') or {}
            period.charges = detail.get('charges') or []
            # dateEnd: the contracts API gives the last day or the next period's first day; keep periods contiguous.
            data.periods.append(period)
        for before, after in zip(data.periods, data.periods[1:]):
            before.end = after.start
        if data.periods and data.periods[-1].end <= data.periods[-1].start + timedelta(days=1):
            data.periods[-1].end = _next_month(data.periods[-1].start)
    elif not data.notes:
        data.notes.append('billing contracts: the org has no contract in the API; purchased quantities unknown')
    period = data.open_period
    start = period.start if period else datetime(now.year, now.month, 1, tzinfo=timezone.utc)
    days = []
    day = start
    while day < now:
        days.append(day)
        day += timedelta(days=1)
    bar = Progress(len(days) + 1, 'Pulling billable usage', stream=stream, enabled=progress)
    try:
        for day in days:
            end = min(day + timedelta(days=1), now)
            report = wait_for_job(client, BILLABLE, sleep, params={'startDate': _iso(start), 'endDate': _iso(end)},
                                  timeout=120)
            for usage in report.get('usages') or []:
                data.daily.setdefault(usage['name'], []).append((day.date(), float(usage.get('totalUsage') or 0)))
            bar.step(day.date().isoformat())
    except GenesysApiError as e:
        data.notes.append(f'billable usage: not available ({e})')
    try:
        for user in client.iter_pages('/api/v2/license/users', page_size=100):
            data.assigned.update(user.get('licenses') or [])
    except GenesysApiError as e:
        data.notes.append(f'licence assignments: not available ({e})')
    bar.done = bar.total - 1
    bar.step('done')
    return data


def _next_month(when):
    index = when.year * 12 + when.month
    return when.replace(year=index // 12, month=index % 12 + 1)


@dataclass
class ChargeOutlook:
    name: str
    unit: str
    purchased: float
    consumed: float
    projected: float
    overage_rate: float
    currency: str

    @property
    def projected_overage(self):
        return max(0.0, self.projected - self.purchased)


def outlook(data):
    """Projected end-of-period position of every charge of the open period."""
    period = data.open_period
    if not period:
        return []
    result = []
    for charge in period.charges:
        name = charge.get('name') or (charge.get('product') or {}).get('name') or charge.get('id')
        unit = (charge.get('product') or {}).get('unitOfMeasure') or ''
        consumed = float(charge.get('actualQuantity') or 0)
        cumulative = unit.lower() in CUMULATIVE_UNITS
        series = data.daily.get(name) or []
        anchor = None
        if not cumulative and series:
            first_day, first_value = series[0]
            anchor = ((datetime.combine(first_day, datetime.min.time(), tzinfo=timezone.utc)
                       + timedelta(days=1)).timestamp(), first_value)
        projected = linear_projection(consumed, data.now, period.start, period.end, anchor=anchor,
                                      cumulative=cumulative)
        result.append(ChargeOutlook(name, unit, float(charge.get('prepaidQuantity') or 0), consumed, projected,
                                    float(charge.get('overageRate') or 0), charge.get('overageCurrency') or ''))
    return result


def write_report(data, out_dir, org_label=''):
    os.makedirs(out_dir, exist_ok=True)
    files, chart_series = [], {}
    period = data.open_period
    outlooks = outlook(data)
    purchased = {o.name: o.purchased for o in outlooks}
    units = {o.name: o.unit for o in outlooks}

    path = os.path.join(out_dir, DAILY_CSV)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(('date', 'charge', 'unit', 'consumed_to_date', 'purchased'))
        for name, series in sorted(data.daily.items()):
            for day, value in series:
                writer.writerow([day.isoformat(), name, units.get(name, ''), _num(value),
                                 _num(purchased[name]) if name in purchased else ''])
    files.append(path)
    path = os.path.join(out_dir, PERIODS_CSV)
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(('period_start', 'period_end', 'status', 'charge', 'unit', 'prepaid', 'actual', 'overage',
                         'overage_charge', 'currency'))
        for p in data.periods:
            for c in p.charges:
                writer.writerow([p.start.date().isoformat(), p.end.date().isoformat(), p.status, c.get('name'),
                                 (c.get('product') or {}).get('unitOfMeasure', ''), _num(c.get('prepaidQuantity')),
                                 _num(c.get('actualQuantity')), _num(c.get('overageQuantity')),
                                 _num(c.get('overageCharge')), c.get('overageCurrency', '')])
    files.append(path)

    panels = []
    for name, series in sorted(data.daily.items()):
        days = [d for d, _ in series]
        values = [v for _, v in series]
        projection = None
        o = next((o for o in outlooks if o.name == name), None)
        if o and period and days:
            projection = ([days[-1], (period.end - timedelta(days=1)).date()], [values[-1], o.projected])
        panels.append((name, units.get(name, ''), days, values, purchased.get(name) or None, projection))
    if panels:
        chart = os.path.join(out_dir, 'consumption.png')
        chart_series[chart] = charts.consumption(chart, panels)
        files.append(chart)

    summary = []
    for o in outlooks:
        if o.purchased:
            line = (f'{o.name}: {_num(round(o.consumed, 2))} of {_num(o.purchased)} {o.unit} consumed '
                    f'({o.consumed / o.purchased:.0%}); projected {_num(round(o.projected, 2))} at period end')
            if o.projected_overage:
                cost = f', about {o.projected_overage * o.overage_rate:,.2f} {o.currency}' if o.overage_rate else ''
                line += f': overage of {_num(round(o.projected_overage, 2))} {o.unit}{cost}'
            else:
                line += ': within the purchased quantity'
        else:
            line = f'{o.name}: {_num(round(o.consumed, 2))} {o.unit} consumed, nothing prepaid (billed as used)'
        summary.append(line)
    if not outlooks:
        summary.append('No open billing period: nothing to project.')

    doc = Document('Licence and billing outlook' + (f': {org_label}' if org_label else ''))
    if period:
        doc.text(f'Open billing period {period.start.date().isoformat()} to '
                 f'{(period.end - timedelta(days=1)).date().isoformat()}, as of {data.now.strftime("%Y-%m-%d %H:%M")} '
                 f'UTC. Consumed = billable usage from the period start to each day\'s end; purchased = the '
                 f'prepaid quantity of the contract.')
    doc.heading('Projected overage')
    doc.bullets(summary + [f'Not included: {n}' for n in data.notes])
    if panels:
        doc.image('consumption.png', 'Consumed vs purchased per day, with the projection to period end')
    doc.heading('Consumed vs purchased per day')
    for name, series in sorted(data.daily.items()):
        doc.heading(name, level=3)
        doc.table(('day', 'consumed to date', 'purchased'),
                  [(d.isoformat(), _num(v), _num(purchased.get(name, ''))) for d, v in series])
    doc.heading('Billing periods')
    doc.table(('period', 'status', 'charge', 'prepaid', 'actual', 'overage'),
              [(f'{p.start.date().isoformat()}..{(p.end - timedelta(days=1)).date().isoformat()}', p.status,
                c.get('name'), _num(c.get('prepaidQuantity')), _num(c.get('actualQuantity')),
                _num(c.get('overageQuantity'))) for p in data.periods for c in p.charges])
    doc.heading('Assigned licences (today)')
    doc.table(('licence', 'users'), sorted(data.assigned.items(), key=lambda kv: (-kv[1], kv[0])))
    for name, content in (('report.md', doc.markdown()), ('report.html', doc.html())):
        path = os.path.join(out_dir, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(content)
        files.insert(0, path)
    return files, chart_series, outlooks, summary


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return '' if value is None else value
