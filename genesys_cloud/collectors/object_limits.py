"""Object limits: how close the org is to every object-count limit (users, queues, skills, data tables, rows per
data table, Data Actions per integration...), as count, limit and utilization per limit.

Which limits: those of MAPPINGS that the limits documentation (`GET /api/v2/organizations/limits/docs`,
SDK LimitDocumentation{namespaces[]{name, limits[]{key, defaultValue}}}) lists. The limit is the org's effective
value (namespace values, shared with org_limits through limit_values.py), else the documented default.

How each is counted, cheapest first:
- `total` of a page-number listing asked for one entity (`pageSize=1`): one request whatever the org's size;
- a listing the collector pages through anyway yields an aggregate for free: Queue.memberCount and
  Group.memberCount give members per queue and per group, Action.integrationId gives actions per integration;
- rows per data table need one request per table (`total` of its rows, pageSize=1). A large org's tables are
  scanned `parents_per_run` at a time: the tables last seen nearest their limit first, then the longest unscanned,
  so every table is measured within a few hourly collections while the top ones stay fresh.
Per-parent limits are reported for the `top_n` parents nearest their limit (`parent_name` tag).

Sources: endpoints, paging parameters, listing models and `total`, Queue.memberCount, Group.memberCount and
Action.integrationId are from purecloudplatformclientv2 269.0.0 (apis/*_api.py resource_path/all_params/
response_type; models/*). Namespaces are values of the SDK's Limit.namespace enum. The limit keys are UNVERIFIED:
the SDK does not carry the catalogue, so a key the docs do not list is simply not reported (logged at debug).
Permissions: routing:queue:view and the integrations ones are from the reference; the others are UNVERIFIED.
A collection cut short by the check's request pace (RequestBudgetExhausted) persists what it measured and the
next run resumes it; a 429 stops it for this hour with what it has.
"""

from dataclasses import dataclass
from typing import Optional, Union

from pydantic import NonNegativeFloat
from typing_extensions import TypedDict

from .. import tagging
from ..client import (
    ApiUnreachable,
    BadRequest,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestBudgetExhausted,
    ServerError,
)
from .base import Collector, pages
from .limit_values import BASE, VALUES_MAX_AGE, namespace_listing, values_of
from .queue_list import LIST_PATH as QUEUES
from .queue_list import all_queues

# Shapes of what this collector persists (state.get discards anything else with one warning).
Result = Optional[Union[NonNegativeFloat, list[tuple[str, NonNegativeFloat]]]]  # not counted, a count, per parent


class Progress(TypedDict):
    started: float
    done: dict[str, Result]
    rows_scanned: list[str]


class DocsCache(TypedDict):
    at: float
    limits: list[tuple[str, str, Optional[float]]]

DOCS = f'{BASE}/docs'
DOCS_MAX_AGE = 86400  # the catalogue changes with platform releases, not hourly
PAGE_SIZE = 100
ONE = {'pageSize': 1, 'pageNumber': 1}


@dataclass(frozen=True)
class Mapping:
    namespace: str
    limit_key: str
    object_type: str
    path: str
    permission: str
    how: str = 'total'  # total | list (paged for an aggregate) | aggregate | rows
    parent: str = ''  # for per-parent limits: the object type of the parent


# SDK: RoutingApi.get_routing_queues/skills/wrapupcodes/languages/utilization_labels, GroupsApi.get_groups,
# UsersApi.get_users, ObjectsApi.get_authorization_divisions, AuthorizationApi.get_authorization_roles,
# ArchitectApi.get_flows/get_flows_datatables/get_flows_datatable_rows/get_architect_schedules/schedulegroups/
# emergencygroups/ivrs/prompts, IntegrationsApi.get_integrations/get_integrations_actions,
# LocationsApi.get_locations, TelephonyProvidersEdgeApi.get_telephony_providers_edges_sites/phones,
# OutboundApi.get_outbound_campaigns/contactlists, ResponseManagementApi.get_responsemanagement_libraries,
# QualityApi.get_quality_forms_evaluations, PresenceApi.get_presencedefinitions: all *EntityListing with `total`.
MAPPINGS = (
    Mapping('directory', 'users.max', 'user', '/api/v2/users', 'none'),
    Mapping('directory', 'locations.max', 'location', '/api/v2/locations', 'none'),
    Mapping('routing', 'queues.max', 'queue', QUEUES, 'routing:queue:view', how='list'),
    Mapping('routing', 'queue.members.max', 'queue_member', QUEUES, 'routing:queue:view',
            how='aggregate', parent='queue'),
    Mapping('routing', 'skills.max', 'skill', '/api/v2/routing/skills', 'routing:skill:view'),
    Mapping('routing', 'wrapupcodes.max', 'wrapup_code', '/api/v2/routing/wrapupcodes', 'routing:wrapupCode:view'),
    Mapping('routing', 'languages.max', 'language', '/api/v2/routing/languages', 'none'),
    Mapping('routing', 'utilization.labels.max', 'utilization_label', '/api/v2/routing/utilization/labels',
       'routing:utilization:view'),
    Mapping('groups', 'groups.max', 'group', '/api/v2/groups', 'none', how='list'),
    Mapping('groups', 'group.members.max', 'group_member', '/api/v2/groups', 'none', how='aggregate',
            parent='group'),
    Mapping('authorization', 'divisions.max', 'division', '/api/v2/authorization/divisions', 'none'),
    Mapping('authorization', 'roles.max', 'role', '/api/v2/authorization/roles', 'authorization:role:view'),
    Mapping('architect', 'flows.max', 'flow', '/api/v2/flows', 'architect:flow:view'),
    Mapping('architect', 'datatables.max', 'data_table', '/api/v2/flows/datatables', 'architect:datatable:view',
            how='list'),
    Mapping('architect', 'datatable.rows.max', 'data_table_row', '/api/v2/flows/datatables/{id}/rows',
            'architect:datatableRow:view', how='rows', parent='data_table'),
    Mapping('architect', 'schedules.max', 'schedule', '/api/v2/architect/schedules', 'architect:schedule:view'),
    Mapping('architect', 'schedulegroups.max', 'schedule_group', '/api/v2/architect/schedulegroups',
       'architect:scheduleGroup:view'),
    Mapping('architect', 'emergencygroups.max', 'emergency_group', '/api/v2/architect/emergencygroups',
       'architect:emergencyGroup:view'),
    Mapping('architect', 'ivrs.max', 'call_route', '/api/v2/architect/ivrs', 'architect:ivr:view'),
    Mapping('architect', 'prompts.max', 'user_prompt', '/api/v2/architect/prompts', 'architect:userPrompt:view'),
    Mapping('integrations', 'integrations.max', 'integration', '/api/v2/integrations',
            'integrations:integration:view', how='list'),
    Mapping('dataactions', 'actions.total.max', 'data_action', '/api/v2/integrations/actions',
            'integrations:action:view', how='list'),
    Mapping('dataactions', 'actions.integration.max', 'data_action', '/api/v2/integrations/actions',
            'integrations:action:view', how='aggregate', parent='integration'),
    Mapping('telephony.configuration', 'sites.max', 'site', '/api/v2/telephony/providers/edges/sites',
       'telephony:plugin:all'),
    Mapping('telephony.configuration', 'phones.max', 'phone', '/api/v2/telephony/providers/edges/phones',
       'telephony:plugin:all'),
    Mapping('outbound', 'campaigns.max', 'outbound_campaign', '/api/v2/outbound/campaigns', 'outbound:campaign:view'),
    Mapping('outbound', 'contactlists.max', 'contact_list', '/api/v2/outbound/contactlists',
       'outbound:contactList:view'),
    Mapping('response.management', 'libraries.max', 'response_library', '/api/v2/responsemanagement/libraries',
       'responses:library:view'),
    Mapping('quality', 'evaluationforms.max', 'evaluation_form', '/api/v2/quality/forms/evaluations',
       'quality:evaluationForm:view'),
    Mapping('presence', 'definitions.max', 'presence_definition', '/api/v2/presencedefinitions', 'none'),
)
TABLES = '/api/v2/flows/datatables'
# Errors that cost one object type its numbers this collection, not the whole collection.
SKIPPABLE = (PermissionDenied, NotFound, BadRequest, ServerError, MalformedResponse, ApiUnreachable)


class ObjectLimitsCollector(Collector):
    name = 'object_limits'
    permissions = ('limits:organization:view',)

    @classmethod
    def minimum_requests(cls, size):
        # The docs, each namespace's values, one request per `total` mapping, the paged listings, and the
        # data tables' rows (at most parents_per_run of them).
        totals = sum(m.how == 'total' for m in MAPPINGS)
        listed = (pages(size.queues, PAGE_SIZE) + pages(size.groups, PAGE_SIZE) + pages(size.data_tables, PAGE_SIZE)
                  + pages(size.integrations, PAGE_SIZE) + pages(size.data_actions, PAGE_SIZE))
        return 1 + size.object_limit_namespaces + totals + listed + min(size.data_tables,
                                                                        cls.default('parents_per_run'))

    def collect(self):
        documented = self._documented()
        limits = self._limits(documented)
        self._listings = {}
        progress = self._cycle = self._progress()
        results = []
        try:
            for mapping in MAPPINGS:
                limit = limits.get((mapping.namespace, mapping.limit_key))
                if limit is None:
                    self.log.debug('%s: %s/%s is not documented for this org; not reported', self.name,
                                   mapping.namespace, mapping.limit_key)
                    continue
                done = progress['done']
                ident = f'{mapping.namespace}|{mapping.limit_key}'
                if ident not in done:
                    try:
                        done[ident] = self._measure(mapping)
                    except RateLimited as e:
                        # Spending more of a rate-limited org's budget is what this check must never do.
                        self.log.warning('%s: %s; the remaining object types wait for the next collection',
                                         self.name, e)
                        break
                    except PermissionDenied as e:
                        needs = '' if mapping.permission == 'none' else f' (the role needs {mapping.permission})'
                        self.log.warning('%s: %s not counted: %s%s', self.name, mapping.object_type, e, needs)
                        done[ident] = None
                    except SKIPPABLE as e:
                        self.log.warning('%s: %s not counted: %s', self.name, mapping.object_type, e)
                        done[ident] = None
                results.append((mapping, limit, done[ident]))
        except RequestBudgetExhausted:
            # Deferred to the next run, which resumes here instead of spending the same requests again.
            self.state.set('progress', progress)
            raise
        self.state.delete('progress')
        for mapping, limit, result in results:
            if isinstance(result, list):
                self._report_parents(mapping, limit, result)
            elif result is not None:
                self._report(mapping, limit, result)

    def _progress(self):
        """What a deferred collection already measured, if it started within the last interval."""
        saved = self.state.get('progress', shape=Progress)
        now = self.clock.time()
        if saved is None or not 0 <= now - saved['started'] < self.interval:
            return {'started': now, 'done': {}, 'rows_scanned': []}
        return saved

    # -- limits ----------------------------------------------------------------------------------

    def _documented(self):
        """{(namespace, key): documented default} for the mapped limits the docs list (cached a day)."""
        cached = self.state.get('docs', shape=DocsCache)
        now = self.clock.time()
        if cached is not None and 0 <= now - cached['at'] <= DOCS_MAX_AGE:
            return {(ns, key): default for ns, key, default in cached['limits']}
        docs = self.client.get(DOCS)
        if not (isinstance(docs, dict) and isinstance(docs.get('namespaces'), list)):
            raise MalformedResponse(f'GET {DOCS}', 'the answer has no `namespaces` list')
        wanted = {(m.namespace, m.limit_key) for m in MAPPINGS}
        documented = {}
        for namespace in docs['namespaces']:
            if not isinstance(namespace, dict) or not isinstance(namespace.get('limits'), list):
                self.log.debug('%s: a docs namespace without limits skipped: %r', self.name, namespace)
                continue
            for limit in namespace['limits']:
                key = (namespace.get('name'), limit.get('key') if isinstance(limit, dict) else None)
                if key in wanted:
                    default = limit.get('defaultValue')
                    documented[key] = default if _number(default) else None
        self.state.set('docs', {'at': now, 'limits': [[ns, key, d] for (ns, key), d in sorted(documented.items())]})
        return documented

    def _limits(self, documented):
        """{(namespace, key): limit} of documented mapped limits: the effective value, else the default.
        A namespace the org does not have (404) has no limits here."""
        limits = {}
        for namespace in sorted({ns for ns, _key in documented}):
            listing = namespace_listing(self.ctx, namespace, max_age=VALUES_MAX_AGE)
            if listing is None:
                continue
            values = values_of(listing)
            for (ns, key), default in documented.items():
                value = values.get(key, default)
                if ns == namespace and _number(value) and value > 0:
                    limits[(ns, key)] = value
        return limits

    # -- counting --------------------------------------------------------------------------------

    def _measure(self, mapping):
        """A count, or [[parent name, count], ...] for a per-parent limit."""
        if mapping.how == 'total':
            return self._total(mapping.path)
        if mapping.how == 'list':
            return len(self._listing(mapping.path))
        if mapping.how == 'aggregate':
            return self._aggregate(mapping)
        return self._table_rows()

    def _total(self, path, params=ONE):
        data = self.client.get(path, params=params)
        total = data.get('total') if isinstance(data, dict) else None
        if not _number(total) or total < 0:
            raise MalformedResponse(f'GET {path}', 'the listing has no `total`')
        return int(total)

    def _listing(self, path):
        """Every entity of a listing, paged once per collection whichever mappings read it (a failure too)."""
        if path not in self._listings:
            try:
                if path == QUEUES:  # the queue list the queues and longest_wait collectors already keep
                    self._listings[path] = all_queues(self.ctx)
                else:
                    self._listings[path] = [e for e in self.client.iter_pages(path, page_size=PAGE_SIZE)
                                            if isinstance(e, dict) and e.get('id')]
            except SKIPPABLE as e:
                self._listings[path] = e
        if isinstance(self._listings[path], Exception):
            raise self._listings[path]
        return self._listings[path]

    def _aggregate(self, mapping):
        """[(parent name, count)] from a listing: members per queue or group, actions per integration."""
        if mapping.parent == 'integration':
            names = {i['id']: i.get('name') or i['id'] for i in self._listing('/api/v2/integrations')}
            counts = {}
            for action in self._listing(mapping.path):
                parent = action.get('integrationId')
                if parent:
                    counts[parent] = counts.get(parent, 0) + 1
            return [[names.get(parent, parent), n] for parent, n in counts.items()]
        found = []
        for entity in self._listing(mapping.path):
            members = entity.get('memberCount')
            if _number(members) and members >= 0:
                found.append([entity.get('name') or entity['id'], int(members)])
            else:
                self.log.debug('%s: %s %s has no memberCount; skipped', self.name, mapping.parent, entity['id'])
        return found

    def _table_rows(self):
        """[(table name, rows)] of every table measured so far; scans `parents_per_run` tables this run."""
        tables = {t['id']: t.get('name') or t['id'] for t in self._listing(TABLES)}
        saved = self.state.get('table_rows', shape=dict[str, tuple[NonNegativeFloat, float]]) or {}
        known = {tid: list(entry) for tid, entry in saved.items() if tid in tables}
        top = set(sorted(known, key=lambda tid: -known[tid][0])[:self._top_n])
        # Nearest the limit first (kept fresh), then never scanned, then the longest unscanned.
        position = {tid: i for i, tid in enumerate(tables)}  # the listing's order breaks ties
        order = sorted(tables, key=lambda tid: (tid not in top, known[tid][1] if tid in known else -1, position[tid]))
        now = self.clock.time()
        # parents_per_run holds for the whole collection, also when it is deferred and resumed part-way.
        scanned = self._cycle.setdefault('rows_scanned', [])
        budget = max(0, self.config.parents_per_run - len(scanned))
        try:
            for tid in [tid for tid in order if tid not in scanned][:budget]:
                try:
                    known[tid] = [self._total(f'{TABLES}/{tid}/rows'), now]
                except NotFound:
                    known.pop(tid, None)  # deleted since the listing
                scanned.append(tid)
        finally:
            self.state.set('table_rows', known)  # progress survives a failure part-way
        return [[tables[tid], rows] for tid, (rows, _at) in known.items()]

    # -- submission ------------------------------------------------------------------------------

    def _tags(self, mapping):
        return [tagging.tag('namespace', mapping.namespace), tagging.tag('limit_key', mapping.limit_key),
                tagging.tag('object_type', mapping.object_type)]

    def _report(self, mapping, limit, count, extra=()):
        tags = self._tags(mapping) + list(extra)
        self.gauge('objects.count', count, tags)
        self.gauge('objects.limit', limit, tags)
        self.gauge('objects.utilization', count / limit, tags)

    @property
    def _top_n(self):
        return self.config.top_n

    def _report_parents(self, mapping, limit, counts):
        nearest = sorted(counts, key=lambda item: (-item[1], str(item[0])))[:self._top_n]
        for parent_name, count in nearest:
            self._report(mapping, limit, count, [tagging.tag('parent_name', parent_name)])


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

