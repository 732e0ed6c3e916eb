"""Named licences: how many users hold each licence definition (GET /api/v2/license/users, paged).

Cost per refresh: ceil(users / page_size) requests, plus GET /api/v2/license/definitions once a day (cached in
state). Neither the SDK nor the docs state the largest pageSize of /license/users (SDK apis/license_api.py
only says "Page size", default 25), so the collector asks for 500, the ceiling of GET /api/v2/users, and
drops to 100 for good if the org answers 400 to that. The refresh is every 15 minutes, stretched so that
paging never averages more than 2 requests per minute: 10,000 users = 20 pages per 15 min (1.3/min);
20,000 users = 40 pages per 20 min (2/min).
"""

from collections import Counter

from typing_extensions import TypedDict

from .. import tagging
from ..client import BadRequest, MalformedResponse
from .base import Collector, pages
from .licensing_support import SHARED_ASSIGNED, PagedScan

FALLBACK_PAGE_SIZE = 100
MAX_AVERAGE_REQUESTS_PER_MINUTE = 2


class Definitions(TypedDict):
    fetched: float
    ids: list[str]


class LicensesCollector(Collector):
    name = 'licenses'
    permissions = ()  # the SDK docs list none for GET /api/v2/license/users

    @classmethod
    def minimum_requests(cls, size):
        return pages(size.users, cls.default('page_size')) + 1  # licence pages, plus the definitions

    def __init__(self, ctx):
        super().__init__(ctx)
        page_size = self.state.get('page_size', shape=int) or self.config.page_size
        self.scan = PagedScan(self.client, self.clock, '/api/v2/license/users', {}, page_size)
        assigned = self.state.get('assigned', shape=dict[str, int])
        if assigned is not None:  # after a restart billing has the last counts before this collector is due
            self.ctx.shared[SHARED_ASSIGNED] = assigned

    @property
    def interval(self) -> float:
        configured = super().interval
        return max(configured, self.scan.pages * 60.0 / MAX_AVERAGE_REQUESTS_PER_MINUTE)

    def collect(self):
        definitions = self._definitions()
        holders = self._scan()
        counts = Counter()
        for licences in holders.values():
            counts.update({lic.lower() for lic in licences if isinstance(lic, str)})
        assigned = {lic.lower(): 0 for lic in definitions}
        assigned.update(counts)
        for lic, n in sorted(assigned.items()):
            self.gauge('license.assigned', n, tags=[tagging.tag('license', lic)])
        self.ctx.shared[SHARED_ASSIGNED] = assigned
        self.state.set('assigned', assigned)

    def _scan(self):
        def reduce(entity):
            return (entity['id'], entity.get('licenses') or []) if entity.get('id') else None

        try:
            return self.scan.run(reduce)
        except BadRequest:
            if self.scan.page_size <= FALLBACK_PAGE_SIZE:
                raise
            self.log.info('licenses: pageSize %s refused, using %s', self.scan.page_size, FALLBACK_PAGE_SIZE)
            self.scan.page_size = FALLBACK_PAGE_SIZE
            self.state.set('page_size', FALLBACK_PAGE_SIZE)
            return self.scan.run(reduce)

    def _definitions(self):
        """Licence definition ids, refreshed once a day: they change when the contract does."""
        cached = self.state.get('definitions', shape=Definitions)
        now = self.clock.time()
        if cached and now - cached.get('fetched', 0) < self.config.definitions_interval:
            return cached['ids']
        answer = self.client.get('/api/v2/license/definitions')
        if not isinstance(answer, list):
            raise MalformedResponse('GET /api/v2/license/definitions', 'expected an array of licence definitions')
        ids = [d['id'] for d in answer if isinstance(d, dict) and d.get('id')]
        self.state.set('definitions', {'fetched': now, 'ids': ids})
        return ids
