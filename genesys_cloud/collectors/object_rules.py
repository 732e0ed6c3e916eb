"""Counting rules of object_limits: for each object type, the limit keys that may document it and how to count it.

A rule matches a documented limit by key (`GET /api/v2/organizations/limits/docs`): the first spelling is the one
a third-party Genesys toolkit reports it checked in a live org (2026-09-29) or, where it names none, this project's
own guess; the others are spellings seen elsewhere (this project's earlier keys), kept as aliases so an org
documenting either is counted. Every key is UNVERIFIED here (the SDK does not carry the limits catalogue): a
documented count limit no rule matches is reported as unmapped instead of passing silently.

Sources: each rule names its SDK method (purecloudplatformclientv2 269.0.0, apis/*_api.py: resource_path,
all_params, response_type) and its API Explorer entry; `unverified` says what could not be checked here.
Namespaces are values of the SDK's Limit.namespace enum.
"""

from dataclasses import dataclass

# No imports from the package: scripts/object_limits_table.py loads this file alone to write the README table.
QUEUES = '/api/v2/routing/queues'  # queue_list.LIST_PATH (object_limits reads the shared queue list for it)

ONE = (('pageSize', 1), ('pageNumber', 1))
PAGED = 'page'  # pageSize/pageNumber paging
NEXT_URI = 'next_uri'  # nextUri paging (cursor listings without `total`)
QUERY = 'query'  # POST .../query with an `after` cursor in the body and the answer
CUSTOM_ACTION_PREFIX = 'custom_-_'  # ids of custom Data Actions (integrations of type custom-rest-actions)


@dataclass(frozen=True)
class Rule:
    object_type: str
    keys: tuple  # 'namespace/key' spellings, the preferred one first
    path: str
    permission: str  # the view permission the reference or the docs name ('none': none listed)
    sdk: str  # SDK method and listing model
    how: str = 'total'  # total (one request) | list (paged for the entities) | aggregate (per parent) | rows
    parent: str = ''  # per-parent limits: the parent's object type
    paging: str = PAGED
    params: tuple = ONE  # the query of a `total` request
    org_wide: bool = False  # the listing model has totalNumberOfEntities (the org's count, all divisions)
    id_prefix: str = ''  # count only entities whose id starts with it
    unverified: str = 'the limit key'

    @property
    def limit_keys(self):
        return tuple(tuple(k.split('/', 1)) for k in self.keys)

    @property
    def docs(self):
        """The API Explorer entry of the counting request."""
        method = 'post' if self.paging == QUERY else 'get'
        return 'https://developer.genesys.cloud/devapps/api-explorer#' + method + '-' + '-'.join(
            p.strip('{}').lower() for p in self.path.strip('/').split('/'))


def _r(object_type, keys, path, permission, sdk, **kw):
    return Rule(object_type, tuple(keys.split()), path, permission, sdk, **kw)


TABLES = '/api/v2/flows/datatables'
INTEGRATIONS = '/api/v2/integrations'
ACTIONS = '/api/v2/integrations/actions'
EDGES = '/api/v2/telephony/providers/edges'

RULES = (
    _r('user', 'directory/users.max', '/api/v2/users', 'none', 'UsersApi.get_users -> UserEntityListing'),
    _r('location', 'directory/locations.max', '/api/v2/locations', 'none',
       'LocationsApi.get_locations -> LocationEntityListing'),
    _r('queue', 'routing/queues.max', QUEUES, 'routing:queue:view',
       'RoutingApi.get_routing_queues -> QueueEntityListing', how='list'),
    _r('queue_member', 'routing/queue.members.max', QUEUES, 'routing:queue:view',
       'RoutingApi.get_routing_queues -> QueueEntityListing (Queue.memberCount)', how='aggregate', parent='queue'),
    _r('skill', 'skills/skill.count.max routing/skills.max', '/api/v2/routing/skills', 'routing:skill:view',
       'RoutingApi.get_routing_skills -> SkillEntityListing'),
    _r('wrapup_code', 'routing/wrapup.codes.max routing/wrapupcodes.max', '/api/v2/routing/wrapupcodes',
       'routing:wrapupCode:view', 'RoutingApi.get_routing_wrapupcodes -> WrapupCodeEntityListing'),
    _r('language', 'skills/language.count.max routing/languages.max', '/api/v2/routing/languages', 'none',
       'RoutingApi.get_routing_languages -> LanguageEntityListing'),
    _r('utilization_label', 'routing/utilization.labels.max', '/api/v2/routing/utilization/labels',
       'routing:utilization:view', 'RoutingApi.get_routing_utilization_labels -> UtilizationLabelEntityListing'),
    _r('group', 'groups/group.count.max groups/groups.max', '/api/v2/groups', 'none',
       'GroupsApi.get_groups -> GroupEntityListing', how='list'),
    _r('group_member', 'groups/group.members.max', '/api/v2/groups', 'none',
       'GroupsApi.get_groups -> GroupEntityListing (Group.memberCount)', how='aggregate', parent='group'),
    _r('team', 'groups/teams.max', '/api/v2/teams', 'groups:team:view',
       'TeamsApi.get_teams -> TeamEntityListing (nextUri, no total)', how='list', paging=NEXT_URI,
       unverified='the limit key; the permission'),
    _r('division', 'authorization/max.divisions.per.org authorization/divisions.max',
       '/api/v2/authorization/divisions', 'none',
       'ObjectsApi.get_authorization_divisions -> AuthzDivisionEntityListing'),
    _r('role', 'authorization/org.roles.max authorization/roles.max', '/api/v2/authorization/roles',
       'authorization:role:view', 'AuthorizationApi.get_authorization_roles -> OrganizationRoleEntityListing'),
    _r('flow', 'architect/flows.max', '/api/v2/flows', 'architect:flow:view',
       'ArchitectApi.get_flows -> FlowEntityListing'),
    _r('flow_outcome', 'architect/flow.outcomes.max', '/api/v2/flows/outcomes', 'architect:flowOutcome:view',
       'ArchitectApi.get_flows_outcomes -> FlowOutcomeListing', unverified='the limit key; the permission'),
    _r('flow_milestone', 'architect/flow.milestones.max', '/api/v2/flows/milestones',
       'architect:flowMilestone:view', 'ArchitectApi.get_flows_milestones -> FlowMilestoneListing',
       unverified='the limit key; the permission'),
    _r('data_table', 'datatables/tables.max.allowed architect/datatables.max', TABLES, 'architect:datatable:view',
       'ArchitectApi.get_flows_datatables -> DataTablesDomainEntityListing', how='list'),
    _r('data_table_row', 'architect/datatable.rows.max', TABLES + '/{id}/rows', 'architect:datatableRow:view',
       'ArchitectApi.get_flows_datatable_rows -> DataTableRowEntityListing', how='rows', parent='data_table'),
    _r('schedule', 'architect/schedules.max', '/api/v2/architect/schedules', 'architect:schedule:view',
       'ArchitectApi.get_architect_schedules -> ScheduleEntityListing', org_wide=True),
    _r('schedule_group', 'architect/schedulegroups.max', '/api/v2/architect/schedulegroups',
       'architect:scheduleGroup:view', 'ArchitectApi.get_architect_schedulegroups -> ScheduleGroupEntityListing',
       org_wide=True),
    _r('emergency_group', 'architect/emergencygroups.max', '/api/v2/architect/emergencygroups',
       'architect:emergencyGroup:view', 'ArchitectApi.get_architect_emergencygroups -> EmergencyGroupListing'),
    _r('call_route', 'architect/ivrs.max', '/api/v2/architect/ivrs', 'architect:ivr:view',
       'ArchitectApi.get_architect_ivrs -> IVREntityListing', org_wide=True),
    _r('user_prompt', 'architect/prompts.max', '/api/v2/architect/prompts', 'architect:userPrompt:view',
       'ArchitectApi.get_architect_prompts -> PromptEntityListing'),
    _r('integration', 'integrations/integrations.max', INTEGRATIONS, 'integrations:integration:view',
       'IntegrationsApi.get_integrations -> IntegrationEntityListing', how='list'),
    _r('data_action', 'dataactions/actions.total.max', ACTIONS, 'integrations:action:view',
       'IntegrationsApi.get_integrations_actions -> ActionEntityListing (custom actions only)', how='list',
       id_prefix=CUSTOM_ACTION_PREFIX,
       unverified='that only custom actions count (a third-party toolkit: a sandbox listed 531 actions against a '
                  'limit of 500, 451 of them custom)'),
    _r('data_action', 'dataactions/actions.integration.max', ACTIONS, 'integrations:action:view',
       'IntegrationsApi.get_integrations_actions -> ActionEntityListing (Action.integrationId)', how='aggregate',
       parent='integration'),
    _r('site', 'telephony.configuration/sites.max', EDGES + '/sites', 'telephony:plugin:all',
       'TelephonyProvidersEdgeApi.get_telephony_providers_edges_sites -> SiteEntityListing', org_wide=True),
    _r('line', 'telephony.configuration/phones.max', EDGES + '/lines', 'telephony:plugin:all',
       'TelephonyProvidersEdgeApi.get_telephony_providers_edges_lines -> LineEntityListing', org_wide=True,
       unverified='that phones.max counts lines (the documented 50,000 figure), not phones'),
    _r('edge', 'telephony.configuration/edges.max', EDGES, 'telephony:plugin:all',
       'TelephonyProvidersEdgeApi.get_telephony_providers_edges -> EdgeEntityListing', org_wide=True),
    _r('did_pool', 'telephony.configuration/didpools.max', EDGES + '/didpools', 'telephony:plugin:all',
       'TelephonyProvidersEdgeApi.get_telephony_providers_edges_didpools -> DIDPoolEntityListing', org_wide=True),
    _r('outbound_campaign', 'outbound/campaigns.max', '/api/v2/outbound/campaigns', 'outbound:campaign:view',
       'OutboundApi.get_outbound_campaigns -> CampaignEntityListing'),
    _r('contact_list', 'outbound/contact.lists.max outbound/contactlists.max', '/api/v2/outbound/contactlists',
       'outbound:contactList:view', 'OutboundApi.get_outbound_contactlists -> ContactListEntityListing'),
    _r('dnc_list', 'outbound/dnc.lists.max', '/api/v2/outbound/dnclists', 'outbound:dncList:view',
       'OutboundApi.get_outbound_dnclists -> DncListEntityListing'),
    _r('response_library', 'response.management/libraries.max', '/api/v2/responsemanagement/libraries',
       'responses:library:view', 'ResponseManagementApi.get_responsemanagement_libraries -> LibraryEntityListing'),
    _r('evaluation_form', 'quality/evaluationforms.max', '/api/v2/quality/forms/evaluations',
       'quality:evaluationForm:view',
       'QualityApi.get_quality_forms_evaluations -> EvaluationFormResponseEntityListing'),
    # get_presencedefinitions (/api/v2/presencedefinitions) is deprecated in the SDK; this one takes no paging.
    _r('presence_definition', 'presence/definitions.max', '/api/v2/presence/definitions', 'none',
       'PresenceApi.get_presence_definitions -> OrganizationPresenceDefinitionEntityListing', params=()),
    _r('work_type', 'task.management/worktypes.max', '/api/v2/taskmanagement/worktypes/query',
       'workitems:worktype:view',
       'TaskManagementApi.post_taskmanagement_worktypes_query -> WorktypeQueryEntityListing', how='list',
       paging=QUERY, unverified='the limit key; the permission; whether the query needs filters'),
    _r('workbin', 'task.management/workbins.max', '/api/v2/taskmanagement/workbins/query',
       'workitems:workbin:view',
       'TaskManagementApi.post_taskmanagement_workbins_query -> WorkbinQueryEntityListing', how='list',
       paging=QUERY, unverified='the limit key; the permission; whether the query needs filters'),
    _r('ai_agent', 'agentic.virtual.agents/virtual.agents.max', '/api/v2/agentic/virtualagents',
       'agentic:virtualAgent:view', 'VirtualAgentsApi.get_agentic_virtualagents -> AgenticVirtualAgentEntityListing',
       unverified='the limit key; the permission'),
    _r('nlu_domain', 'language.understanding/domains.max', '/api/v2/languageunderstanding/domains',
       'languageUnderstanding:nluDomain:view',
       'LanguageUnderstandingApi.get_languageunderstanding_domains -> NluDomainListing',
       unverified='the limit key; the permission'),
    _r('knowledge_base', 'knowledge/knowledgebases.max', '/api/v2/knowledge/knowledgebases',
       'knowledge:knowledgebase:view',
       'KnowledgeApi.get_knowledge_knowledgebases -> KnowledgeBaseListing (nextUri, no total)', how='list',
       paging=NEXT_URI, unverified='the limit key; the permission'),
    _r('messenger_deployment', 'web.deployments/deployments.max', '/api/v2/webdeployments/deployments',
       'webDeployments:deployment:view',
       'WebDeploymentsApi.get_webdeployments_deployments -> ExpandableWebDeploymentEntityListing',
       params=(('pageSize', 1),), unverified='the limit key; the permission'),
    _r('messenger_configuration', 'web.deployments/configurations.max', '/api/v2/webdeployments/configurations',
       'webDeployments:configuration:view',
       'WebDeploymentsApi.get_webdeployments_configurations -> WebDeploymentConfigurationVersionEntityListing',
       params=(('pageSize', 1),), unverified='the limit key; the permission'),
    _r('learning_module', 'learning/modules.max', '/api/v2/learning/modules', 'learning:module:view',
       'LearningApi.get_learning_modules -> LearningModuleList', unverified='the limit key; the permission'),
    _r('journey_segment', 'journey/segments.max', '/api/v2/journey/segments', 'journey:segment:view',
       'JourneyApi.get_journey_segments -> SegmentListing', unverified='the limit key; the permission'),
    _r('action_map', 'journey/actionmaps.max', '/api/v2/journey/actionmaps', 'journey:actionmap:view',
       'JourneyApi.get_journey_actionmaps -> ActionMapListing', unverified='the limit key; the permission'),
)

# Words of a documented key that say it limits something else than a number of objects (a rate, a concurrency,
# a size, a duration), so it is not reported as an unmapped object-count limit.
NOT_A_COUNT = frozenset((
    'rate', 'minute', 'second', 'seconds', 'hour', 'hours', 'day', 'days', 'month', 'concurrent', 'concurrency',
    'bytes', 'size', 'length', 'characters', 'chars', 'duration', 'timeout', 'ttl', 'ms', 'mb', 'kb', 'requests',
    'executions', 'volume', 'retention', 'depth', 'percent',
))


def is_count_limit(key: str) -> bool:
    """A documented key that caps a number of objects: it names a maximum and no rate, size or duration."""
    words = set(key.lower().replace('_', '.').replace('-', '.').split('.'))
    return bool(words & {'max', 'count', 'allowed', 'limit'}) and not words & NOT_A_COUNT


def readme_table() -> str:
    """The README's table of covered limits (tests/test_object_limits.py checks the README holds it)."""
    lines = ['| `object_type` | Limit keys (preferred first) | Counted with | Source (SDK 269.0.0) | UNVERIFIED |',
             '|---|---|---|---|---|']
    for rule in RULES:
        per = f' per {rule.parent}' if rule.parent else ''
        keys = ', '.join(f'`{k}`' for k in rule.keys)
        lines.append(f'| `{rule.object_type}`{per} | {keys} | {_counted_with(rule)} | `{rule.sdk}` '
                     f'([explorer]({rule.docs})) | {rule.unverified} |')
    return '\n'.join(lines)


def _counted_with(rule) -> str:
    method = 'POST' if rule.paging == QUERY else 'GET'
    what = f'`{method} {rule.path}`'
    if rule.how == 'rows':
        return f'{what}: `total` of its rows, one request per table'
    if rule.how == 'aggregate':
        field = 'integrationId' if rule.parent == 'integration' else 'memberCount'
        return f'{what}: `{field}` in the listing'
    if rule.how == 'list':
        only = f', ids starting `{rule.id_prefix}`' if rule.id_prefix else ''
        return f'{what}: entities listed{only}'
    return f'{what}: `totalNumberOfEntities`, else `total`' if rule.org_wide else f'{what}: `total`'
