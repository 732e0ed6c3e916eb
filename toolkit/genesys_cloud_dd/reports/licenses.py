"""`report licenses`: purchased vs billable per billing period, the projected overage and what drives its cost.

Sources (reference 7): the billing contract and its periods (prepaid vs actual per charge; closed periods are
final), the billable usage report asked once per elapsed day of the open period (cumulative from the period
start, so each day's point is what billing would count so far), and licence assignments per user. The
projection is the check's own (collectors.licensing_support.linear_projection): run rate for cumulative
charges (tokens, minutes), trend since day one for level charges (concurrent users: the peak so far).
"""

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from datadog_checks.genesys_cloud.client import ApiUnreachable, AuthenticationError, GenesysApiError
from datadog_checks.genesys_cloud.clock import iso_utc
from datadog_checks.genesys_cloud.collectors.licensing_support import linear_projection
from datadog_checks.genesys_cloud.periods import (
    PROJECTION_MIN_HOURS,
    PROJECTION_MIN_SHARE,
    current_period,
    parse_periods,
    projection_ready,
    projection_ready_at,
)

from .. import numbers as n
from . import charts
from .document import Document, write_documents
from .progress import Progress
from .pull import wait_for_job

CONTRACTS = '/api/v2/billing/contracts'
BILLABLE = '/api/v2/billing/reports/billableusage'
CUMULATIVE_UNITS = ('token', 'minute', 'minutes', 'tokens', 'message', 'messages')
DAILY_CSV, PERIODS_CSV = 'licenses_daily.csv', 'billing_periods.csv'
THIRTY_MINUTE_RULE = (
    'Concurrent licences are billed on the period\'s billable peak: the highest number of users logged in at the '
    'same time that was reached for at least 30 minutes in total during the period (not necessarily in one '
    'stretch; Genesys\'s 30-minute rule). The peaks below are Genesys\'s own figures (actualQuantity of the '
    'contract charge); the open period\'s peak can still rise until the period ends.')


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
        """The current period by the check's rule (genesys_cloud/periods.py), or None."""
        return current_period(self.periods, self.now)


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
        skipped = lambda entry, why: data.notes.append(f'billing period {str(entry)[:80]}: skipped ({why})')  # noqa: E731
        for p in parse_periods(contract.get('billingPeriods'), skipped):
            period = Period(p.id, p.start, p.end, p.status)
            detail = client.get(f'{CONTRACTS}/{contract["id"]}/billingperiods/{period.id}') or {}
            period.charges = detail.get('charges') or []
            data.periods.append(period)
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
            params = {'startDate': iso_utc(start), 'endDate': iso_utc(end)}
            report = wait_for_job(client, BILLABLE, sleep, params=params, timeout=120)
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


@dataclass
class ChargeOutlook:
    name: str
    unit: str
    purchased: float
    consumed: float
    projected: float
    overage_rate: float
    currency: str
    withheld: str = ''  # why no projection is made yet ('' once one is): `projected` is then the consumed quantity

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
        withheld = '' if projection_ready(data.now, period.start, period.end) else _withheld(data.now, period)
        projected = consumed if withheld else linear_projection(consumed, data.now, period.start, period.end,
                                                                anchor=anchor, cumulative=cumulative)
        result.append(ChargeOutlook(name, unit, float(charge.get('prepaidQuantity') or 0), consumed, projected,
                                    float(charge.get('overageRate') or 0), charge.get('overageCurrency') or '',
                                    withheld))
    return result


def _withheld(now, period):
    hours = max(0.0, (now - period.start).total_seconds() / 3600)
    return (f'no projection before {n.iso(projection_ready_at(period.start, period.end))}: '
            f'{n.amount(hours)} hours of the period have elapsed, a projection needs {PROJECTION_MIN_HOURS} hours '
            f'and {PROJECTION_MIN_SHARE:.0%} of the period')


def _is_level(unit):
    return (unit or '').lower() not in CUMULATIVE_UNITS


def _slug(name):
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_') or 'charge'


def _charge_name(charge):
    return charge.get('name') or (charge.get('product') or {}).get('name') or charge.get('id') or 'charge'


def _charge_unit(charge):
    return (charge.get('product') or {}).get('unitOfMeasure') or ''


def _qty(value, unit):
    """A quantity with its unit: '16 users', '4,846.48 tokens'; whole units for level charges (users)."""
    text = n.count(value) if _is_level(unit) else n.amount(value)
    return f'{text} {n.unit_name(unit, value)}'.strip()


def _of(part, whole, unit):
    """'16 of 18 users', '4,069.84 of 6,300 tokens': the unit once, after the whole."""
    text = n.count(part) if _is_level(unit) else n.amount(part)
    return f'{text} of the {_qty(whole, unit)}'


def _period_label(period):
    return f'{n.iso(period.start.date())} to {n.iso((period.end - timedelta(days=1)).date())}'


def write_report(data, out_dir, org_label=''):
    """report.md, a self-contained report.html, one chart (+CSV) per story, the CSVs; returns
    (files, chart_series, outlooks, summary)."""
    os.makedirs(out_dir, exist_ok=True)
    files, chart_series = [], {}
    period = data.open_period
    outlooks = outlook(data)
    by_name = {o.name: o for o in outlooks}

    def chart(name, draw, *args, **kwargs):
        path = os.path.join(out_dir, name)
        chart_series[path] = draw(path, *args, **kwargs)
        files.extend([path, os.path.splitext(path)[0] + '.csv'])
        return name
        return name

    # 1. Purchased vs billable peak per period, for every charge counted in users (whole users only).
    level_names = sorted({_charge_name(c) for p in data.periods for c in p.charges if _is_level(_charge_unit(c))})
    sections = []
    for name in level_names:
        rows = [(p, next((c for c in p.charges if _charge_name(c) == name), None)) for p in data.periods]
        rows = [(p, c) for p, c in rows if c]
        labels = [p.start.strftime('%Y-%m') + (' (open)' if p.status == 'Open' else '') for p, _ in rows]
        purchased = [int(round(float(c.get('prepaidQuantity') or 0))) for _, c in rows]
        billable = [int(round(float(c.get('actualQuantity') or 0))) for _, c in rows]
        over = [lab for lab, b, pu in zip(labels, billable, purchased) if b > pu]
        unit = _charge_unit(rows[0][1]) if rows else 'User'
        title = (f'{name}: billable peak above the purchased {n.count(purchased[-1])} in '
                 f'{len(over)} of {n.plural(len(rows), "period")}' if over else
                 f'{name}: billable peak within the purchased quantity in every period')
        sections.append((f'{name}: purchased vs billable peak per billing period',
                         THIRTY_MINUTE_RULE if not sections else '',
                         chart(f'{_slug(name)}_per_period.png', charts.period_bars, labels,
                              [('purchased', purchased), ('billable peak (30-minute rule)', billable)], title,
                              n.unit_name(unit).capitalize() or 'quantity',
                              subtitle='per billing period; Genesys billing contract (actual and prepaid '
                                       'quantity)')))

    # 2. Cumulative charges (AI tokens, minutes): consumed to date against the allowance, with the projection.
    for name, series in sorted(data.daily.items()):
        o = by_name.get(name)
        unit = o.unit if o else ''
        if not series or (o and _is_level(unit)):
            continue
        days = [d for d, _ in series]
        values = [v for _, v in series]
        projection = ((period.end - timedelta(days=1)).date(), o.projected) if o and period and not o.withheld else None
        if o and o.withheld:
            title = f'{name}: {_qty(round(values[-1]), unit)} so far; {o.withheld}'
        elif o and o.purchased:
            title = (f'{name}: projected {_qty(round(o.projected), unit)} at period end, '
                     + (f'{n.count(o.projected_overage)} over the {n.count(o.purchased)} purchased'
                        if o.projected_overage else f'within the {n.count(o.purchased)} purchased'))
        else:
            title = f'{name}: {_qty(round(values[-1]), unit)} so far, nothing prepaid (billed as used)'
        heading = f'{name}: consumed against the allowance' if o and o.purchased else f'{name}: billed as used'
        sections.append((heading, '', chart(f'{_slug(name)}.png', charts.to_date, days, values, title,
                              f'{n.unit_name(unit).capitalize() or "quantity"} consumed since the period start',
                              subtitle='billable usage report, cumulative to the end of each day; projection at the '
                                       'run rate so far',
                              allowance=o.purchased if o else None, projection=projection)))

    # 3. The cost driver: projected overage cost per charge.
    # Beyond a purchased quantity it is overage; with nothing purchased every unit is billed as used.
    costs = sorted(((o.name, o.projected_overage * o.overage_rate, o.currency,
                     'overage' if o.purchased else 'billed as used') for o in outlooks
                    if o.projected_overage and o.overage_rate and not o.withheld), key=lambda t: (-t[1], t[0]))
    total_cost = sum(c[1] for c in costs)
    currency = costs[0][2] if costs else ''
    if costs:
        sections.append(('What drives the projected cost', '',
                         chart('overage_cost.png', charts.ranked_bars, [f'{c[0]} ({c[3]})' for c in costs],
                              [c[1] for c in costs],
                              f'Projected {n.money(total_cost, currency)} beyond the prepaid quantities: '
                              f'{n.percent(costs[0][1], total_cost)} from {costs[0][0]}',
                              f'projected cost at period end ({currency})',
                              subtitle='projected quantity beyond the prepaid one x the contract\'s overage rate',
                              label=lambda v: n.money(v, currency),
                              csv_header=('charge', 'kind', 'projected_cost', 'currency'),
                              csv_rows=[(c[0], c[3], round(c[1], 2), c[2]) for c in costs])))

    files.append(charts.write_csv(os.path.join(out_dir, DAILY_CSV),
                                  ('date', 'charge', 'unit', 'consumed_to_date', 'purchased'),
                                  [[d.isoformat(), name, by_name[name].unit if name in by_name else '', v,
                                    by_name[name].purchased if name in by_name else '']
                                   for name, series in sorted(data.daily.items()) for d, v in series]))
    files.append(charts.write_csv(os.path.join(out_dir, PERIODS_CSV),
                                  ('period_start', 'period_end', 'status', 'charge', 'unit', 'prepaid', 'actual',
                                   'overage', 'overage_charge', 'currency'),
                                  [[p.start.date().isoformat(), (p.end - timedelta(days=1)).date().isoformat(),
                                    p.status, _charge_name(c), _charge_unit(c), c.get('prepaidQuantity'),
                                    c.get('actualQuantity'), c.get('overageQuantity'), c.get('overageCharge'),
                                    c.get('overageCurrency', '')] for p in data.periods for c in p.charges]))

    summary = [_outlook_line(o) for o in outlooks] or ['No open billing period: nothing to project.']
    paragraph = _paragraph(data, outlooks, costs, total_cost, currency)
    doc = Document('Licences and billing: outlook' + (f' for {org_label}' if org_label else ''))
    doc.text('Sources: Genesys Cloud billing contract and its periods, the billable usage report (one per elapsed day '
             'of the open period), licence assignments.')
    doc.heading('Summary')
    doc.lead(' '.join(paragraph))
    doc.bullets([f'Not included: {note}' for note in data.notes])
    for heading, text, name in sections:
        doc.chart(heading, text, name)
    doc.heading('Projected position at the end of the open period')
    doc.table(('charge', 'purchased', 'consumed so far', 'projected at period end', 'projected overage',
               'overage cost'),
              [(o.name, _qty(o.purchased, o.unit) if o.purchased else 'nothing prepaid', _qty(o.consumed, o.unit),
                'withheld (too early in the period)' if o.withheld else _qty(o.projected, o.unit),
                _qty(o.projected_overage, o.unit) if o.purchased else 'none (billed as used)',
                n.money(o.projected_overage * o.overage_rate, o.currency) if o.projected_overage and o.overage_rate
                else '') for o in outlooks])
    doc.heading('Billing periods')
    doc.table(('period', 'status', 'charge', 'purchased', 'billed quantity', 'overage'),
              [(_period_label(p), p.status, _charge_name(c),
                _qty(c.get('prepaidQuantity'), _charge_unit(c)) if c.get('prepaidQuantity') else 'nothing prepaid',
                _qty(c.get('actualQuantity') or 0, _charge_unit(c)), _qty(c.get('overageQuantity') or 0,
                                                                          _charge_unit(c)))
               for p in data.periods for c in p.charges])
    doc.heading('Assigned licences (today)')
    doc.table(('licence', 'users'), [(k, n.count(v)) for k, v in sorted(data.assigned.items(),
                                                                         key=lambda kv: (-kv[1], kv[0]))])
    doc.heading('Files')
    doc.bullets([f'{DAILY_CSV}: consumption to date per day and charge',
                 f'{PERIODS_CSV}: every billing period and charge', 'one CSV per chart, of the same name'])
    files[:0] = write_documents(doc, out_dir)
    return files, chart_series, outlooks, summary


def _outlook_line(o):
    if not o.purchased:
        return f'{o.name}: {_qty(o.consumed, o.unit)} so far, nothing prepaid (billed as used)'
    if o.withheld:
        return (f'{o.name}: {_of(o.consumed, o.purchased, o.unit)} purchased ({n.percent(o.consumed, o.purchased)}); '
                f'{o.withheld}')
    line = (f'{o.name}: {_of(o.consumed, o.purchased, o.unit)} purchased '
            f'({n.percent(o.consumed, o.purchased)}); projected {_qty(o.projected, o.unit)} at period end')
    if o.projected_overage:
        cost = f', about {n.money(o.projected_overage * o.overage_rate, o.currency)}' if o.overage_rate else ''
        return line + f': overage of {_qty(o.projected_overage, o.unit)}{cost}'
    return line + ': within the purchased quantity'


def _paragraph(data, outlooks, costs, total_cost, currency):
    out = []
    period = data.open_period
    if not period:
        return ['No billing contract period is visible to this OAuth client: nothing to compare or project.']
    out.append(f'Open billing period {_period_label(period)}, as of {n.iso(data.now)}.')
    for o in outlooks:
        if o.withheld and o.purchased:
            out.append(f'{o.name}: {_of(o.consumed, o.purchased, o.unit)} purchased so far; {o.withheld}.')
        elif _is_level(o.unit) and o.purchased:
            out.append(f'{o.name}: billable peak so far {_of(o.consumed, o.purchased, o.unit)} purchased '
                       f'(30-minute rule, below), projected {_qty(o.projected, o.unit)} at period end'
                       + (f', {_qty(o.projected_overage, o.unit)} over' if o.projected_overage else '') + '.')
        elif o.purchased:
            out.append(f'{o.name}: {_of(o.consumed, o.purchased, o.unit)} purchased used so far '
                       f'({n.percent(o.consumed, o.purchased)}); at this run rate '
                       f'{_qty(o.projected, o.unit)} by period end'
                       + (f', an overage of {_qty(o.projected_overage, o.unit)}' if o.projected_overage else
                          ', within the allowance') + '.')
        else:
            out.append(f'{o.name}: {_qty(o.consumed, o.unit)} so far, billed as used (nothing prepaid).')
    overage = [c for c in costs if c[3] == 'overage']
    as_used = [c for c in costs if c[3] != 'overage']
    if overage:
        split = (f'all from {overage[0][0]}' if len(overage) == 1 else
                 ', '.join(f'{n.money(c[1], c[2])} from {c[0]}' for c in overage))
        out.append(f'Projected overage cost: {n.money(sum(c[1] for c in overage), currency)}, {split} '
                   f'[overage_cost.png].')
    else:
        out.append('No overage is projected for the charges with a purchased quantity.')
    if as_used:
        out.append('Charges with nothing prepaid, billed as used, add '
                   + ', '.join(f'{n.money(c[1], c[2])} ({c[0]})' for c in as_used) + ' by period end.')
    return out
