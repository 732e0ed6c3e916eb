"""Configuration object listings (skills, wrap-up codes, data tables and their rows, flows...) and the limits
documentation: what the object_limits collector counts, with the synthetic org's ground truth (data/objects.py).

Paths, paging parameters and listing models: purecloudplatformclientv2 269.0.0 (each get_* method's
resource_path, all_params and response_type); every listing answers the full page-number fields with `total`.
Permissions are the ones the platform documents per endpoint as far as we know them (UNVERIFIED except the
limits docs, which the SDK says need none).
"""

from ..data.limits import org_limits
from ..data.objects import limit_docs, org_objects
from ..errors import not_found
from ..paging import full_listing
from ..routing import Sample, route

MAX_PAGE_SIZE = 500


@route('GET', '/api/v2/organizations/limits/docs', sdk_model='LimitDocumentation')
def get_limit_docs(request):
    return limit_docs(org_limits(request.org).defaults)


def _render(path, extra=None):
    def render(entity):
        body = {'id': entity.id, 'name': entity.name, 'selfUri': f'{path}/{entity.id}'}
        if extra:
            body.update(extra)
        return body

    return render


# path, SDK listing model, object kind, permissions (any one suffices), extra entity fields
LISTINGS = (
    ('/api/v2/routing/skills', 'SkillEntityListing', 'skills', ('routing:skill:manage', 'routing:skill:view'),
     {'state': 'active'}),
    ('/api/v2/routing/wrapupcodes', 'WrapupCodeEntityListing', 'wrapup_codes', ('routing:wrapupCode:view',), None),
    ('/api/v2/routing/languages', 'LanguageEntityListing', 'languages', (), {'state': 'active'}),
    ('/api/v2/routing/utilization/labels', 'UtilizationLabelEntityListing', 'utilization_labels',
     ('routing:utilization:view',), None),
    ('/api/v2/authorization/roles', 'OrganizationRoleEntityListing', 'roles', ('authorization:role:view',), None),
    ('/api/v2/flows', 'FlowEntityListing', 'flows', ('architect:flow:view',), None),
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
    ('/api/v2/telephony/providers/edges/sites', 'SiteEntityListing', 'sites', ('telephony:plugin:all',),
     {'state': 'active'}),
    ('/api/v2/telephony/providers/edges/phones', 'PhoneEntityListing', 'phones', ('telephony:plugin:all',),
     {'state': 'active'}),
    ('/api/v2/outbound/campaigns', 'CampaignEntityListing', 'campaigns', ('outbound:campaign:view',), None),
    ('/api/v2/outbound/contactlists', 'ContactListEntityListing', 'contact_lists', ('outbound:contactList:view',),
     None),
    ('/api/v2/responsemanagement/libraries', 'LibraryEntityListing', 'response_libraries',
     ('responses:library:view',), None),
    ('/api/v2/quality/forms/evaluations', 'EvaluationFormResponseEntityListing', 'evaluation_forms',
     ('quality:evaluationForm:view',), None),
    ('/api/v2/presencedefinitions', 'OrganizationPresenceEntityListing', 'presence_definitions', (), None),
)


def _listing(path, kind, extra):
    render = _render(path, extra)

    def handler(request):
        return full_listing(request, org_objects(request.org).entities(kind), render, max_size=MAX_PAGE_SIZE)

    handler.__name__ = f'list_{kind}'
    return handler


for _path, _model, _kind, _permissions, _extra in LISTINGS:
    route('GET', _path, sdk_model=_model, permissions=_permissions,
          samples=[Sample(), Sample(query={'pageSize': '1'})])(_listing(_path, _kind, _extra))


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
