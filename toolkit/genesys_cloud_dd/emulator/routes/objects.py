"""Configuration object listings (skills, wrap-up codes, data tables and their rows, flows...) and the limits
documentation: what the object_limits collector counts, with the synthetic org's ground truth (data/objects.py).

Paths, paging parameters and listing models: purecloudplatformclientv2 269.0.0 (each get_* method's
resource_path, all_params and response_type); every listing answers the full page-number fields with `total`.
Permissions are the ones the platform documents per endpoint as far as we know them (UNVERIFIED except the
limits docs, which the SDK says need none).
"""

from ..data.limits import org_limits
from ..data.objects import ORG_WIDE, limit_docs, org_objects
from ..errors import bad_request, not_found
from ..paging import before_after_page, decode_cursor, encode_cursor, full_listing, short_listing
from ..routing import Sample, route

MAX_PAGE_SIZE = 500


@route('GET', '/api/v2/organizations/limits/docs', sdk_model='LimitDocumentation')
def get_limit_docs(request):
    return limit_docs(org_limits(request.org).defaults)


def _render(path, extra=None, name='name', self_uri=True):
    def render(entity):
        body = {'id': entity.id, name: entity.name}
        if self_uri:
            body['selfUri'] = f'{path}/{entity.id}'
        if extra:
            body.update(extra)
        return body

    return render


TELEPHONY = '/api/v2/telephony/providers/edges'
# path, SDK listing model, object kind, permissions (any one suffices), extra entity fields, render options.
# Listings of ORG_WIDE kinds add `totalNumberOfEntities`.
LISTINGS = (
    ('/api/v2/routing/skills', 'SkillEntityListing', 'skills', ('routing:skill:manage', 'routing:skill:view'),
     {'state': 'active'}),
    ('/api/v2/routing/wrapupcodes', 'WrapupCodeEntityListing', 'wrapup_codes', ('routing:wrapupCode:view',), None),
    ('/api/v2/routing/languages', 'LanguageEntityListing', 'languages', (), {'state': 'active'}),
    ('/api/v2/routing/utilization/labels', 'UtilizationLabelEntityListing', 'utilization_labels',
     ('routing:utilization:view',), None),
    ('/api/v2/authorization/roles', 'OrganizationRoleEntityListing', 'roles', ('authorization:role:view',), None),
    ('/api/v2/flows', 'FlowEntityListing', 'flows', ('architect:flow:view',), None),
    ('/api/v2/flows/outcomes', 'FlowOutcomeListing', 'flow_outcomes', ('architect:flowOutcome:view',), None),
    ('/api/v2/flows/milestones', 'FlowMilestoneListing', 'flow_milestones', ('architect:flowMilestone:view',),
     None),
    ('/api/v2/architect/schedules', 'ScheduleEntityListing', 'schedules', ('architect:schedule:view',),
     {'state': 'active'}),
    ('/api/v2/architect/schedulegroups', 'ScheduleGroupEntityListing', 'schedule_groups',
     ('architect:scheduleGroup:view',), {'state': 'active'}),
    ('/api/v2/architect/emergencygroups', 'EmergencyGroupListing', 'emergency_groups',
     ('architect:emergencyGroup:view',), {'state': 'active'}),
    ('/api/v2/architect/ivrs', 'IVREntityListing', 'ivrs', ('architect:ivr:view', 'telephony:plugin:all'),
     {'state': 'active'}),
    ('/api/v2/architect/prompts', 'PromptEntityListing', 'prompts', ('architect:userPrompt:view',), None),
    ('/api/v2/locations', 'LocationEntityListing', 'locations', (), {'state': 'active'}),
    (TELEPHONY, 'EdgeEntityListing', 'edges', ('telephony:plugin:all',), {'state': 'active'}),
    (TELEPHONY + '/sites', 'SiteEntityListing', 'sites', ('telephony:plugin:all',), {'state': 'active'}),
    (TELEPHONY + '/phones', 'PhoneEntityListing', 'phones', ('telephony:plugin:all',), {'state': 'active'}),
    (TELEPHONY + '/lines', 'LineEntityListing', 'lines', ('telephony:plugin:all',), {'state': 'active'}),
    (TELEPHONY + '/didpools', 'DIDPoolEntityListing', 'did_pools', ('telephony:plugin:all',), {'state': 'active'}),
    ('/api/v2/outbound/campaigns', 'CampaignEntityListing', 'campaigns', ('outbound:campaign:view',), None),
    ('/api/v2/outbound/contactlists', 'ContactListEntityListing', 'contact_lists', ('outbound:contactList:view',),
     None),
    ('/api/v2/outbound/dnclists', 'DncListEntityListing', 'dnc_lists', ('outbound:dncList:view',), None),
    ('/api/v2/responsemanagement/libraries', 'LibraryEntityListing', 'response_libraries',
     ('responses:library:view',), None),
    ('/api/v2/quality/forms/evaluations', 'EvaluationFormResponseEntityListing', 'evaluation_forms',
     ('quality:evaluationForm:view',), None),
    ('/api/v2/languageunderstanding/domains', 'NluDomainListing', 'nlu_domains',
     ('languageUnderstanding:nluDomain:view',), None),
    ('/api/v2/learning/modules', 'LearningModuleList', 'learning_modules', ('learning:module:view',), None),
    ('/api/v2/journey/segments', 'SegmentListing', 'journey_segments', ('journey:segment:view',),
     {'isActive': True}, {'name': 'displayName'}),
    ('/api/v2/journey/actionmaps', 'ActionMapListing', 'action_maps', ('journey:actionmap:view',),
     {'isActive': True}, {'name': 'displayName'}),
)


def _listing(path, kind, extra, options):
    render = _render(path, extra, **options)

    def handler(request):
        objects = org_objects(request.org)
        body = full_listing(request, objects.visible(kind), render, max_size=MAX_PAGE_SIZE)
        if kind in ORG_WIDE:
            body['totalNumberOfEntities'] = objects.counts[kind]
        return body

    handler.__name__ = f'list_{kind}'
    return handler


for _path, _model, _kind, _permissions, _extra, *_options in LISTINGS:
    route('GET', _path, sdk_model=_model, permissions=_permissions,
          samples=[Sample(), Sample(query={'pageSize': '1'})])(
        _listing(_path, _kind, _extra, _options[0] if _options else {}))


# SDK AgenticVirtualAgentEntityListing: page-number fields and `total`, no URIs.
@route('GET', '/api/v2/agentic/virtualagents', sdk_model='AgenticVirtualAgentEntityListing',
       permissions=('agentic:virtualAgent:view',), samples=[Sample(), Sample(query={'pageSize': '1'})])
def list_virtual_agents(request):
    return short_listing(request, org_objects(request.org).entities('virtual_agents'),
                         _render('/api/v2/agentic/virtualagents', {'status': 'Published'}), max_size=100)


# Cursor listings (before/after, nextUri). Teams and knowledge bases answer no `total`, web deployments do.
CURSOR_LISTINGS = (
    ('/api/v2/teams', 'TeamEntityListing', 'teams', ('groups:team:view',), False),
    ('/api/v2/knowledge/knowledgebases', 'KnowledgeBaseListing', 'knowledge_bases',
     ('knowledge:knowledgebase:view',), False),
    ('/api/v2/webdeployments/deployments', 'ExpandableWebDeploymentEntityListing', 'messenger_deployments',
     ('webDeployments:deployment:view',), True),
    ('/api/v2/webdeployments/configurations', 'WebDeploymentConfigurationVersionEntityListing',
     'messenger_configurations', ('webDeployments:configuration:view',), True),
)


def _cursor_listing(path, kind, with_total):
    render = _render(path)

    def handler(request):
        items = org_objects(request.org).entities(kind)
        body = before_after_page(request, items, render, default_size=25, max_size=100)
        if with_total:
            body['total'] = len(items)
        return body

    handler.__name__ = f'list_{kind}'
    return handler


for _path, _model, _kind, _permissions, _total in CURSOR_LISTINGS:
    route('GET', _path, sdk_model=_model, permissions=_permissions,
          samples=[Sample(), Sample(query={'pageSize': '1'})])(_cursor_listing(_path, _kind, _total))


# Task management queries: POST {pageSize, after, ...}; the answer carries the next page's `after`.
# Whether `count` is the page's or the query's entity count is UNVERIFIED; the emulator answers the page's.
QUERIES = (
    ('/api/v2/taskmanagement/worktypes/query', 'WorktypeQueryEntityListing', 'work_types',
     ('workitems:worktype:view',)),
    ('/api/v2/taskmanagement/workbins/query', 'WorkbinQueryEntityListing', 'workbins', ('workitems:workbin:view',)),
)


def _query(path, kind):
    render = _render(path[:-len('/query')])

    def handler(request):
        body = request.json if isinstance(request.json, dict) else {}
        size = body.get('pageSize', 25)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 200:
            raise bad_request('pageSize must be between 1 and 200', field='pageSize')
        after = body.get('after')
        start = decode_cursor(after) if isinstance(after, str) and after else 0
        items = org_objects(request.org).entities(kind)
        page = [render(e) for e in items[start:start + size]]
        answer = {'entities': page, 'count': len(page)}
        if start + size < len(items):
            answer['after'] = encode_cursor(start + size)
        return answer

    handler.__name__ = f'query_{kind}'
    return handler


for _path, _model, _kind, _permissions in QUERIES:
    route('POST', _path, sdk_model=_model, permissions=_permissions,
          samples=[Sample(json={'pageSize': 1}), Sample(json={})])(_query(_path, _kind))


# PresenceApi.get_presence_definitions: {total, entities, selfUri}, no paging (the reference, section 7);
# it replaces the deprecated GET /api/v2/presencedefinitions.
@route('GET', '/api/v2/presence/definitions', sdk_model='OrganizationPresenceDefinitionEntityListing')
def list_presence_definitions(request):
    entities = org_objects(request.org).entities('presence_definitions')[:]
    return {'total': len(entities), 'selfUri': '/api/v2/presence/definitions', 'entities': [
        {'id': e.id, 'name': e.name, 'languageLabels': {'en_US': e.name}, 'deactivated': False,
         'selfUri': '/api/v2/presence/definitions/' + e.id} for e in entities]}


@route('GET', '/api/v2/groups', sdk_model='GroupEntityListing', permissions=(),
       samples=[Sample(), Sample(query={'pageSize': '1'})])
def list_groups(request):
    objects = org_objects(request.org)
    members = list(objects.group_members)
    entities = [(i, e) for i, e in enumerate(objects.entities('groups')[:])]
    return full_listing(request, entities, lambda item: {
        'id': item[1].id, 'name': item[1].name, 'memberCount': members[item[0]], 'state': 'active',
        'type': 'official', 'visibility': 'public', 'selfUri': '/api/v2/groups/' + item[1].id,
    }, max_size=MAX_PAGE_SIZE)


DATATABLE_VIEW = ('architect:datatable:view',)


@route('GET', '/api/v2/flows/datatables', sdk_model='DataTablesDomainEntityListing', permissions=DATATABLE_VIEW,
       samples=[Sample(), Sample(query={'pageSize': '1'})])
def list_datatables(request):
    return full_listing(request, org_objects(request.org).entities('data_tables'),
                        _render('/api/v2/flows/datatables'), max_size=MAX_PAGE_SIZE)


@route('GET', '/api/v2/flows/datatables/{datatableId}/rows', sdk_model='DataTableRowEntityListing',
       permissions=('architect:datatableRow:view',) + DATATABLE_VIEW,
       samples=lambda api: Sample(path_params={'datatableId': org_objects(api.org).entity('data_tables', 0).id},
                                  query={'pageSize': '1'}))
def list_datatable_rows(request):
    objects = org_objects(request.org)
    index = objects.table_index(request.path_params['datatableId'])
    if index is None:
        raise not_found('Data table not found: ' + request.path_params['datatableId'])
    # showbrief (the default) answers only each row's key.
    return full_listing(request, _Rows(objects.table_rows[index]), lambda n: {'key': f'row-{n + 1}'},
                        max_size=MAX_PAGE_SIZE)


class _Rows:
    """Row numbers 0..n-1 without building the list (a table may have thousands)."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return list(range(*index.indices(self.count)))
