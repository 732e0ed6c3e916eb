"""Object limits: how close the org is to every object-count limit it documents (users, queues, skills, data
tables, rows per data table, Data Actions per integration...), as count, limit and utilization per limit.

Which limits: those the org's limits documentation lists (`GET /api/v2/organizations/limits/docs`, SDK
LimitDocumentation{namespaces[]{name, limits[]{key, defaultValue}}}, read once a day), each matched by key to a
counting rule of object_rules.py (known spellings as aliases). A documented count limit no rule matches is
reported as `objects.unmapped` and named in one INFO line a day, so a key spelt differently shows up instead of
silence. The limit is the org's effective value (namespace values, shared with org_limits through
limit_values.py), else the documented default.

How each is counted, cheapest first:
- `total` of a page-number listing asked for one entity (`pageSize=1`), or `totalNumberOfEntities` where the
  listing model has it (the org's count, not only what the caller's divisions see): one request;
- a listing the collector pages through anyway yields an aggregate for free: Queue.memberCount and
  Group.memberCount give members per queue and per group, Action.integrationId gives actions per integration;
  only custom Data Actions (`custom_-_` ids) count against actions.total.max;
- rows per data table need one request per table (`total` of its rows, pageSize=1), scanned a share at a time
  (see _table_rows).
Per-parent limits are reported for the `top_n` parents nearest their limit, tagged `parent_name` and `parent_id`
(a short form of the id), so two parents with one name stay two series.

Everything from the API is shape-checked item by item (per_item): keys and ids must be strings, counts integers
within 0..MAX_COUNT; a bad item is skipped with one line, a bad `total` costs its object type only.
A collection cut short by the check's request pace (RequestBudgetExhausted) persists what it measured and the
next run resumes it; a 429 stops it for this hour with what it has.
"""

import functools
import math
from typing import Optional, Union

from pydantic import Field
from typing_extensions import Annotated, TypedDict

from .. import tagging
from ..client import (
    ApiUnreachable,
    BadRequest,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from ..client.paging import PageGuard
from .base import Collector, pages
from .limit_values import BASE, VALUES_MAX_AGE, namespace_listing, values_of
from .object_rules import NEXT_URI, QUERY, RULES, TABLES, is_count_limit
from .queue_list import LIST_PATH as QUEUES
from .queue_list import all_queues

MAX_COUNT = 10**9  # no org holds more objects of one type; a larger "count" is a broken answer
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Parents = list[tuple[str, str, Count]]  # (parent id, parent name, count)
# Shapes of what this collector persists (state.get discards anything else with one warning).
Result = Optional[Union[Count, Parents]]  # not counted, a count, per parent


class Progress(TypedDict):
    started: float
    done: dict[str, Result]
    rows_scanned: list[str]


class DocsCache(TypedDict):
    at: float
    limits: list[tuple[str, str, Optional[float]]]  # every documented limit: namespace, key, default


DOCS = f'{BASE}/docs'
DOCS_MAX_AGE = 86400  # the catalogue changes with platform releases, not hourly
PAGE_SIZE = 100
FULL_PASS = 6  # collections within which every data table has its rows counted, whatever the options say
SHORT_ID = 8  # characters of a parent's id in its parent_id tag
# Errors that cost one object type its numbers this collection, not the whole collection.
SKIPPABLE = (PermissionDenied, NotFound, BadRequest, ServerError, MalformedResponse, ApiUnreachable)


def match(documented):
    """[(rule, namespace, key)] for the rules the docs list (each rule's first documented spelling), and the
    sorted documented count limits no rule matches."""
    matched, known = [], set()
    for rule in RULES:
        known.update(rule.limit_keys)
        found = next((k for k in rule.limit_keys if k in documented), None)
        if found is not None:
            matched.append((rule, *found))
    unmapped = sorted(k for k in documented if k not in known and is_count_limit(k[1]))
    return matched, unmapped


class ObjectLimitsCollector(Collector):
    name = 'object_limits'
    permissions = ('limits:organization:view',)

    @classmethod
    def minimum_requests(cls, size):
        # The docs, each namespace's values, one request per `total` rule, the paged listings, and the data
        # tables' rows (a share of them, see row_plan).
        totals = sum(r.how == 'total' for r in RULES)
        listed = sum(pages(n, PAGE_SIZE) for n in (size.queues, size.groups, size.data_tables, size.integrations,
                                                     size.data_actions, size.teams, size.work_types, size.workbins,
                                                     size.knowledge_bases))
        fresh, rotation = row_plan(list(range(size.data_tables)), {}, cls.default('parents_per_run'),
                                   cls.default('top_n'))
        rows = len(fresh) + len(rotation)
        return 1 + size.object_limit_namespaces + totals + listed + rows

    def collect(self):
        documented = self._documented()
        matched, unmapped = match(documented)
        limits = self._limits(matched, documented)
        self._listings = {}
        progress = self._cycle = self._progress()
        results = []
        try:
            for rule, namespace, key in matched:
                limit = limits.get((namespace, key))
                if limit is None:
                    self.log.debug('%s: %s/%s has no usable value for this org; not reported', self.name,
                                   namespace, key)
                    continue
                done = progress['done']
                ident = f'{namespace}|{key}'
                if ident not in done:
                    try:
                        done[ident] = self._measure(rule)
                    except RateLimited as e:
                        # Spending more of a rate-limited org's budget is what this check must never do.
                        self.log.warning('%s: %s; the remaining object types wait for the next collection',
                                         self.name, e)
                        break
                    except PermissionDenied as e:
                        needs = '' if rule.permission == 'none' else f' (the role needs {rule.permission})'
                        self.log.warning('%s: %s not counted: %s%s', self.name, rule.object_type, e, needs)
                        done[ident] = None
                    except SKIPPABLE as e:
                        self.log.warning('%s: %s not counted: %s', self.name, rule.object_type, e)
                        done[ident] = None
                results.append((rule, namespace, key, limit, done[ident]))
        except Exception:
            # Deferred to the next run (RequestBudgetExhausted), or failed on something no object type owns: the
            # next attempt resumes here instead of spending the same requests again.
            self.state.set('progress', progress)
            raise
        self.state.delete('progress')
        for rule, namespace, key, limit, result in results:
            if isinstance(result, list):
                self._report_parents(rule, namespace, key, limit, result)
            elif result is not None:
                self._report(rule, namespace, key, limit, result)
        for namespace, key in unmapped:
            self.gauge('objects.unmapped', 1, [tagging.tag('namespace', namespace), tagging.tag('limit_key', key)])

    def _progress(self):
        """What a deferred collection already measured, if it started within the last interval."""
        saved = self.state.get('progress', shape=Progress)
        now = self.clock.time()
        if saved is None or not 0 <= now - saved['started'] < self.interval:
            return {'started': now, 'done': {}, 'rows_scanned': []}
        return saved

    # -- limits ----------------------------------------------------------------------------------

    def _documented(self):
        """{(namespace, key): documented default or None} of every limit the docs list (cached a day)."""
        cached = self.state.get('documented', shape=DocsCache)
        now = self.clock.time()
        if cached is not None and 0 <= now - cached['at'] <= DOCS_MAX_AGE:
            return {(ns, key): default for ns, key, default in cached['limits']}
        docs = self.client.get(DOCS)
        if not (isinstance(docs, dict) and isinstance(docs.get('namespaces'), list)):
            raise MalformedResponse(f'GET {DOCS}', 'the answer has no `namespaces` list')
        documented = {}
        for namespace in docs['namespaces']:
            for name, entry in self.per_item('limits docs namespace', namespace, _doc_namespace) or ():
                found = self.per_item(f'limits docs entry of {name}', entry, functools.partial(_doc_limit, name))
                if found is not None:
                    documented.setdefault(found[0], found[1])
        self.state.set('documented', {'at': now, 'limits': [[ns, key, d] for (ns, key), d in
                                                             sorted(documented.items())]})
        _matched, unmapped = match(documented)
        if unmapped:  # the docs are read once a day: so is this line
            self.log.info('%s: %d documented count limits have no counting rule and are reported as '
                          'objects.unmapped only: %s', self.name, len(unmapped),
                          ', '.join(_printable(f'{ns}/{key}') for ns, key in unmapped))
        return documented

    def _limits(self, matched, documented):
        """{(namespace, key): limit} of the matched limits: the effective value, else the default.
        A namespace the org does not have (404) has no limits here."""
        limits = {}
        for namespace in sorted({ns for _rule, ns, _key in matched}):
            try:
                listing = namespace_listing(self.ctx, namespace, max_age=VALUES_MAX_AGE)
            except MalformedResponse as e:  # costs this namespace's limits only (a 5xx stops the collection:
                # asking every other namespace of a failing endpoint would only spend the org's budget)
                self.log.warning('%s: the limits of namespace %s not reported: %s', self.name, namespace, e)
                continue
            if listing is None:
                continue
            values = values_of(listing)
            for _rule, ns, key in matched:
                if ns != namespace:
                    continue
                value = values.get(key, documented.get((ns, key)))
                if _is_count(value) and value > 0:
                    limits[(ns, key)] = int(value)
                elif value is not None:
                    self.log.warning('%s: the limit %s/%s is not a count (%.40r); not reported', self.name, ns,
                                     key, value)
        return limits

    # -- counting --------------------------------------------------------------------------------

    def _measure(self, rule):
        """A count, or [[parent id, parent name, count], ...] for a per-parent limit."""
        if rule.how == 'total':
            return self._total(rule.path, dict(rule.params), rule.org_wide)
        if rule.how == 'list':
            entities = self._listing(rule)
            return sum(1 for e in entities if e['id'].startswith(rule.id_prefix))
        if rule.how == 'aggregate':
            return self._aggregate(rule)
        return self._table_rows()

    def _total(self, path, params, org_wide=False):
        data = self.client.get(path, params=params)
        if not isinstance(data, dict):
            raise MalformedResponse(f'GET {path}', 'the listing is not an object')
        field = 'totalNumberOfEntities' if org_wide and data.get('totalNumberOfEntities') is not None else 'total'
        try:
            return _count(data.get(field), f'`{field}`')
        except (TypeError, ValueError) as e:
            raise MalformedResponse(f'GET {path}', str(e)) from None

    def _listing(self, rule):
        """Every entity of a listing ({id, name, memberCount?, integrationId?}), paged once per collection
        whichever rules read it (a failure too)."""
        path = rule.path
        if path not in self._listings:
            try:
                if path == QUEUES:  # the queue list the queues and longest_wait collectors already keep
                    raw = all_queues(self.ctx)
                elif rule.paging == NEXT_URI:
                    raw = self.client.iter_next_uri(path, params={'pageSize': PAGE_SIZE})
                elif rule.paging == QUERY:
                    raw = self._query_pages(path)
                else:
                    raw = self.client.iter_pages(path, page_size=PAGE_SIZE)
                listed = {}
                for entity in raw:
                    found = self.per_item(f'{rule.object_type} entity', entity, _entity)
                    if found is not None:
                        listed.setdefault(found['id'], found)
                self._listings[path] = list(listed.values())
            except SKIPPABLE as e:
                self._listings[path] = e
        if isinstance(self._listings[path], Exception):
            raise self._listings[path]
        return self._listings[path]

    def _query_pages(self, path):
        """A task-management query (POST, `after` cursor in the body and in the answer)."""
        endpoint = f'POST {path}'
        guard, body = PageGuard(endpoint), {'pageSize': PAGE_SIZE}
        while True:
            guard.visit(body.get('after'))
            data = self.client.post(path, body=dict(body))
            if not (isinstance(data, dict) and isinstance(data.get('entities'), list)):
                raise MalformedResponse(endpoint, 'the answer has no `entities` list')
            yield from data['entities']
            after = data.get('after')
            if not (isinstance(after, str) and after):
                return
            guard.page(data, len(data['entities']))
            body['after'] = after

    def _aggregate(self, rule):
        """[(parent id, name, count)] from a listing: members per queue or group, actions per integration."""
        if rule.parent == 'integration':
            names = {i['id']: i['name'] for i in self._listing(_INTEGRATIONS)}
            counts = {}
            for action in self._listing(rule):
                parent = action.get('integrationId')
                if parent is not None:
                    counts[parent] = counts.get(parent, 0) + 1
            return [[parent, names.get(parent, parent), n] for parent, n in counts.items()]
        found = []
        for entity in self._listing(rule):
            if entity.get('memberCount') is None:
                self.log.debug('%s: %s %s has no memberCount; skipped', self.name, rule.parent, entity['id'])
            else:
                found.append([entity['id'], entity['name'], entity['memberCount']])
        return found

    def _table_rows(self):
        """[(table id, name, rows)] of every table measured so far; counts a share of the tables this run.

        Each collection re-counts the tables last seen nearest their limit (the top_n, at most half of
        parents_per_run) and spends the rest on those never or longest ago counted: at least 1/FULL_PASS of
        them, so every table is counted within FULL_PASS collections whatever parents_per_run and top_n say."""
        tables = {t['id']: t['name'] for t in self._listing(_TABLES)}
        saved = self.state.get('table_rows', shape=dict[str, tuple[Count, float]]) or {}
        known = {tid: list(entry) for tid, entry in saved.items() if tid in tables}
        fresh, rotation = row_plan(list(tables), known, self.config.parents_per_run, self._top_n)
        now = self.clock.time()
        # The budget holds for the whole collection, also when it is deferred and resumed part-way.
        scanned = self._cycle.setdefault('rows_scanned', [])
        plan, already = fresh + rotation, set(scanned)
        todo = [tid for tid in plan if tid not in already][:max(0, len(plan) - len(scanned))]
        try:
            for tid in todo:
                try:
                    known[tid] = [self._total(f'{TABLES}/{tid}/rows', {'pageSize': 1, 'pageNumber': 1}), now]
                except NotFound:
                    known.pop(tid, None)  # deleted since the listing
                scanned.append(tid)
        finally:
            self.state.set('table_rows', known)  # progress survives a failure part-way
        return [[tid, tables[tid], rows] for tid, (rows, _at) in known.items()]

    # -- submission ------------------------------------------------------------------------------

    def _report(self, rule, namespace, key, limit, count, extra=()):
        tags = [tagging.tag('namespace', namespace), tagging.tag('limit_key', key),
                tagging.tag('object_type', rule.object_type), *extra]
        self.gauge('objects.count', count, tags)
        self.gauge('objects.limit', limit, tags)
        self.gauge('objects.utilization', count / limit, tags)

    @property
    def _top_n(self):
        return self.config.top_n

    def _report_parents(self, rule, namespace, key, limit, counts):
        nearest = sorted(counts, key=lambda item: (-item[2], item[1], item[0]))[:self._top_n]
        seen = set()
        for parent_id, parent_name, count in nearest:
            tags = (tagging.tag('parent_name', parent_name), tagging.tag('parent_id', parent_id[:SHORT_ID]))
            if tags in seen:  # two ids alike in their first characters: the whole id keeps them apart
                tags = (tags[0], tagging.tag('parent_id', parent_id))
            seen.add(tags)
            self._report(rule, namespace, key, limit, count, tags)


_TABLES = next(r for r in RULES if r.path == TABLES)
_INTEGRATIONS = next(r for r in RULES if r.object_type == 'integration')


def row_plan(tables, known, parents_per_run, top_n):
    """(fresh, rotation): the known tables nearest their limit, then the others oldest-counted first, as many
    as this collection counts. tables: ids in listing order; known: id -> (rows, counted at)."""
    position = {tid: i for i, tid in enumerate(tables)}  # the listing's order breaks ties
    budget = max(1, parents_per_run)
    fresh = sorted(known, key=lambda tid: (-known[tid][0], position[tid]))[:min(top_n, budget // 2)]
    others = sorted((tid for tid in tables if tid not in fresh),
                    key=lambda tid: (known[tid][1] if tid in known else -1, position[tid]))
    share = max(budget - len(fresh), math.ceil(len(tables) / FULL_PASS))
    return fresh, others[:share]


def _printable(text) -> str:
    """External text for one log line: no line breaks or other control characters, at most 200 characters."""
    return ''.join(c if c.isprintable() else '?' for c in text[:200])


def _is_count(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        isinstance(value, int) or value.is_integer()) and 0 <= value <= MAX_COUNT


def _count(value, what) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'{what} is not a number')
    if not _is_count(value):
        raise ValueError(f'{what} is not a whole number within 0..{MAX_COUNT}')
    return int(value)


def _doc_namespace(namespace):
    """[(namespace name, limit entry)] of one docs namespace."""
    name, limits = namespace['name'], namespace['limits']
    if not isinstance(name, str) or not isinstance(limits, list):
        raise TypeError('the namespace needs a string `name` and a `limits` list')
    return [(name, limit) for limit in limits]


def _doc_limit(namespace, limit):
    """((namespace, key), documented default or None) of one docs entry."""
    key = limit['key']
    if not isinstance(key, str) or not key:
        raise TypeError('`key` is not a string')
    default = limit.get('defaultValue')
    return (namespace, key), (int(default) if _is_count(default) else None)


def _entity(entity):
    """What the collector keeps of a listed entity; the id must be a string, counts whole numbers."""
    entity_id = entity['id']
    if not isinstance(entity_id, str) or not entity_id:
        raise TypeError('`id` is not a string')
    name = entity.get('name')
    kept = {'id': entity_id, 'name': name if isinstance(name, str) and name else entity_id}
    if entity.get('memberCount') is not None:
        kept['memberCount'] = _count(entity['memberCount'], '`memberCount`')
    if 'integrationId' in entity:
        if not isinstance(entity['integrationId'], str):
            raise TypeError('`integrationId` is not a string')
        kept['integrationId'] = entity['integrationId']
    return kept
