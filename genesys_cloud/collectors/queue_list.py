"""The org's queues (id, name, division), listed once and shared by the queue collectors through ctx.shared.

`GET /api/v2/routing/queues` is paged with pageSize/pageNumber (reference section 10). The list is kept for
`queues.queue_list_refresh` seconds (10 minutes by default), so a queue renamed or deleted in Genesys Cloud
changes its series at the next refresh at the latest; a deleted queue also stops reporting as soon as the
observation query no longer returns it. The `queues.queues` option (name regex and/or divisions) selects
the queues that both the `queues` and `longest_wait` collectors report.
"""

import re

from .. import tagging
from ..client import MalformedResponse, RequestBudgetExhausted
from ..client.paging import PageGuard

SHARED_KEY = 'queue_list'
SCAN_KEY = 'queue_list_scan'  # the listing in progress
LIST_PATH = '/api/v2/routing/queues'
# The page size is not documented for this endpoint; 100 is the ceiling several routing endpoints document
# ("Max value is 100"), so it is safe everywhere (UNVERIFIED whether 500 would be accepted).
PAGE_SIZE = 100


class QueueSelection:
    """`queues.queues`: {name: regex searched in the queue name, divisions: [division names or ids]}."""

    def __init__(self, option):
        self.name = re.compile(option.name) if option.name else None  # compiles: the config model checked it
        self.divisions = {d.lower() for d in option.divisions or ()}

    def __call__(self, queue) -> bool:
        if self.name is not None and not self.name.search(queue['name']):
            return False
        if self.divisions and not ({queue['division_id'].lower(), queue['division'].lower()} & self.divisions):
            return False
        return True


def all_queues(ctx) -> list:
    """Every queue of the org, from the shared cache when it is younger than the refresh interval.

    The listing resumes where it stopped when a run's budget ends it (5,000 queues are 50 pages, more than one
    collector's share of a run); meanwhile the previous list, if any, is used."""
    refresh = ctx.config.queues.queue_list_refresh
    cached = ctx.shared.get(SHARED_KEY)
    now = ctx.clock.time()
    if cached is not None and now - cached['at'] < refresh:
        return cached['queues']
    scan = ctx.shared.get(SCAN_KEY)
    if scan is None or now - scan['started'] > max(refresh, 600):
        scan = ctx.shared[SCAN_KEY] = {'started': now, 'page': 1, 'queues': {},
                                       'guard': PageGuard(f'GET {LIST_PATH}')}
    try:
        _list(ctx, scan)
    except RequestBudgetExhausted:
        if cached is None:
            raise
        return cached['queues']  # the refresh goes on next run, from the page it stopped at
    except BaseException:
        ctx.shared.pop(SCAN_KEY, None)
        raise
    ctx.shared.pop(SCAN_KEY, None)
    queues = list(scan['queues'].values())
    ctx.shared[SHARED_KEY] = {'at': now, 'queues': queues}
    return queues


def _list(ctx, scan):
    """pageNumber/pageCount paging as GenesysClient.iter_pages does it, resumable: progress stays in `scan`."""
    guard = scan['guard']
    while True:
        data = ctx.client.get(LIST_PATH, params={'pageSize': PAGE_SIZE, 'pageNumber': scan['page']}) or {}
        guard.visit(scan['page'])  # after the answer: a page deferred for budget is asked again
        items = data.get('entities') or [] if isinstance(data, dict) else []
        new = 0
        for entity in items:
            found = _queue(ctx, entity) if isinstance(entity, dict) else None
            if found is not None and found[0] not in scan['queues']:
                scan['queues'][found[0]] = found[1]
                new += 1
        page_count = data.get('pageCount') if isinstance(data, dict) else None
        if page_count is not None:
            if not isinstance(page_count, (int, float)) or scan['page'] >= page_count:
                return
        elif len(items) < PAGE_SIZE:
            return
        guard.page(data, new, PAGE_SIZE)
        scan['page'] += 1


def _queue(ctx, entity):
    if not isinstance(entity.get('id'), str):
        ctx.check.log.warning('queue list: an entity without an id skipped: %.80r', entity)
        return None
    division = entity.get('division') if isinstance(entity.get('division'), dict) else {}
    return entity['id'], {'id': entity['id'], 'name': entity.get('name') or entity['id'],
                          'division_id': division.get('id') or '', 'division': division.get('name') or '',
                          'memberCount': entity.get('memberCount')}  # object_limits' members per queue


def selected_queues(ctx) -> list:
    selection = QueueSelection(ctx.config.queues.queues)
    return [q for q in all_queues(ctx) if selection(q)]


def queue_tags(queue) -> list:
    return [tagging.tag('queue_id', queue['id']), tagging.tag('queue_name', queue['name']),
            tagging.tag('division', queue['division'] or queue['division_id'])]


# Keys an analytics query answer may carry besides `results`; an answer with other keys only is not one.
KNOWN_KEYS = {'results', 'systemToOrganizationMappings', 'entityIdDimension'}


def results_of(data, path) -> list:
    """The `results` of an analytics query answer; {} (no data) gives []; any other shape is an error."""
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get('results', []), list) or (
            data and not set(data) & KNOWN_KEYS):
        raise MalformedResponse(f'POST {path}', 'the answer has no analytics `results`')
    return data.get('results') or []
