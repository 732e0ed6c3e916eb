"""Data Action executions, failures and durations from closed 5-minute windows, each counted exactly once.

`POST /api/v2/analytics/actions/aggregates/query`, metric `tTotalExecution` (the only one), granularity PT5M,
grouped by actionId, actionName, integrationName, errorType, responseStatus: all valid groupBy values of
ActionAggregationQuery (Java SDK GroupByEnum; reference 8.6). A group without `errorType` is a success
(UNVERIFIED); stats count/sum/max are read as milliseconds (UNVERIFIED; the analytics `t*` convention).

Counting once: a window [start, end) is queried only after it closed `delay` seconds ago (analytics lag).
The end of the last counted window is persisted (`counted_until`) BEFORE the counts are submitted, so a
crash between the two loses a window rather than counting it twice. After an Agent restart the check
resumes from `counted_until` (at most `max_catchup` windows back). When the persistent cache is lost there
is no way to know what was already counted: the first collection then counts nothing, only records where
it stands (and sends the duration gauges of the last window), losing at most one window of counts.
"""

import math

from .. import tagging
from ..clock import iso_utc
from .base import Collector
from .queue_list import results_of

PATH = '/api/v2/analytics/actions/aggregates/query'
WINDOW = 300  # seconds, the PT5M granularity
GROUP_BY = ['actionId', 'actionName', 'integrationName', 'errorType', 'responseStatus']


class DataActionsCollector(Collector):
    name = 'data_actions'
    permissions = ('integrations:action:view', 'bridge:actions:view')

    @classmethod
    def minimum_requests(cls, size):
        return 1  # one aggregates query for the closed windows

    def collect(self):
        now = self.clock.time()
        end = math.floor((now - self.config.delay) / WINDOW) * WINDOW
        counted_until = self.state.get('counted_until', shape=float)
        if counted_until is not None and float(counted_until) > now + WINDOW:
            # A position in the future cannot come from this clock (a cache restored from elsewhere): treat it
            # as lost rather than wait, possibly for ever, for the clock to catch up.
            counted_until = None
        if counted_until is None:
            start, count = end - WINDOW, False  # cache lost or first run: record the position only
        else:
            start = max(float(counted_until), end - WINDOW * self.config.max_catchup)
            count = True
        if start >= end:
            self._resend_durations()
            return
        body = {'interval': f'{iso_utc(start)}/{iso_utc(end)}', 'granularity': 'PT5M', 'groupBy': GROUP_BY,
                'metrics': ['tTotalExecution']}
        actions, errors = self._aggregate(results_of(self.client.post(PATH, body), PATH))
        self.state.set('counted_until', end)  # before submitting: never twice, at worst once lost
        self._durations = []
        for tags, totals in actions.items():
            tags = list(tags)
            if count:
                self.count('data_action.executions', totals['count'], tags=tags)
            if totals['count']:
                self._durations.append((tags, totals['sum'] / totals['count'] / 1000.0, totals['max'] / 1000.0))
        if count:
            for tags, n in errors.items():
                self.count('data_action.errors', n, tags=list(tags))
        self._resend_durations()

    def _resend_durations(self):
        # The duration gauges of the last windows counted, kept while no new window has closed.
        for tags, avg, peak in getattr(self, '_durations', []):
            self.gauge('data_action.duration.avg', avg, tags=tags)
            self.gauge('data_action.duration.max', peak, tags=tags)

    @staticmethod
    def _aggregate(results):
        actions, errors = {}, {}
        for result in results:
            group = result.get('group') or {}
            tags = [tagging.tag('action_name', group.get('actionName') or group.get('actionId')),
                    tagging.tag('action_id', group.get('actionId'))]
            if group.get('integrationName'):
                tags.append(tagging.tag('integration_name', group['integrationName']))
            totals = actions.setdefault(tuple(tags), {'count': 0, 'sum': 0.0, 'max': 0.0})
            n = 0
            for bucket in result.get('data') or []:
                for metric in bucket.get('metrics') or []:
                    if metric.get('metric') != 'tTotalExecution':
                        continue
                    stats = metric.get('stats') or {}
                    n += stats.get('count') or 0
                    totals['sum'] += stats.get('sum') or 0
                    totals['max'] = max(totals['max'], stats.get('max') or 0)
            totals['count'] += n
            if group.get('errorType') and n:
                key = tuple(tags + [tagging.tag('error_type', str(group['errorType']).lower()),
                                    tagging.tag('response_status', group.get('responseStatus') or 'none')])
                errors[key] = errors.get(key, 0) + n
        return actions, errors
