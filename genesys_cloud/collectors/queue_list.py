"""The org's queues (id, name, division), listed once and shared by the queue collectors through ctx.shared.

`GET /api/v2/routing/queues` is paged with pageSize/pageNumber (reference section 10). The list is kept for
`queues.queue_list_refresh` seconds (10 minutes by default), so a queue renamed or deleted in Genesys Cloud
changes its series at the next refresh at the latest; a deleted queue also stops reporting as soon as the
observation query no longer returns it. The `queues.queues` option (name regex and/or divisions) selects
the queues that both the `queues` and `longest_wait` collectors report.
"""

import re

from .. import tagging
from ..client import MalformedResponse

SHARED_KEY = 'queue_list'
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
    """Every queue of the org, from the shared cache when it is younger than the refresh interval."""
    refresh = ctx.config.queues.queue_list_refresh
    cached = ctx.shared.get(SHARED_KEY)
    now = ctx.clock.time()
    if cached is not None and now - cached['at'] < refresh:
        return cached['queues']
    queues = []
    for entity in ctx.client.iter_pages(LIST_PATH, page_size=PAGE_SIZE):
        if not (isinstance(entity, dict) and isinstance(entity.get('id'), str)):
            ctx.check.log.warning('queue list: an entity without an id skipped: %.80r', entity)
            continue
        division = entity.get('division') if isinstance(entity.get('division'), dict) else {}
        queues.append({'id': entity['id'], 'name': entity.get('name') or entity['id'],
                       'division_id': division.get('id') or '', 'division': division.get('name') or '',
                       'memberCount': entity.get('memberCount')})  # object_limits' members per queue
    ctx.shared[SHARED_KEY] = {'at': now, 'queues': queues}
    return queues


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
