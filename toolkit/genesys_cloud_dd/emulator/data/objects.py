"""Configuration objects of the synthetic org and their count limits: ground truth for the object listings and
the limits documentation (`GET /api/v2/organizations/limits/docs`).

Objects are virtual: a kind has a count and entity i is rendered on demand, so a 5,000-row data table costs
nothing until a page of it is asked for. Users, queues, divisions, OAuth clients, integrations and Data Actions
live elsewhere (org.py, data/integrations.py); only their limits are declared here.

Limit keys and default values are illustrative (UNVERIFIED): the SDK types the docs (LimitDocumentation,
NamespaceDocs, LimitDocs) and the namespace enum, not the catalogue. The namespaces are SDK Limit.namespace
values. By default the org documents the keys a third-party Genesys toolkit says it checked in a live org
(2026-09-29); `OrgOptions.legacy_limit_keys` serves the spellings this project used before (LEGACY_KEYS) instead.

Kinds in ORG_WIDE answer `totalNumberOfEntities` (every entity of the org) besides `total` (what the caller's
divisions see): HIDDEN of their entities sit in a division the listing does not show.
"""

import random
import threading
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # the emulator's key for the kind
    label: str  # entity names are '<label> <n>'
    count: object  # fn(org) -> int, the seeded count


# Org-level object kinds the emulator lists (beyond users, queues, divisions, OAuth clients, integrations).
KINDS = {k.name: k for k in (
    Kind('skills', 'Skill', lambda org: 8 + len(org.users) // 5),
    Kind('wrapup_codes', 'Wrap-up', lambda org: 12 + 3 * len(org.queues)),
    Kind('languages', 'Language', lambda org: 4),
    Kind('utilization_labels', 'Label', lambda org: 3),
    Kind('groups', 'Group', lambda org: 3 + len(org.users) // 20),
    Kind('roles', 'Role', lambda org: 14),
    Kind('data_tables', 'Lookup table', lambda org: 6 + len(org.queues) // 2),
    Kind('flows', 'Flow', lambda org: 10 + 2 * len(org.queues)),
    Kind('schedules', 'Schedule', lambda org: 4 + len(org.queues)),
    Kind('schedule_groups', 'Schedule group', lambda org: 2 + len(org.queues) // 2),
    Kind('emergency_groups', 'Emergency group', lambda org: 2),
    Kind('ivrs', 'Call route', lambda org: 2 + len(org.queues) // 5),
    Kind('prompts', 'Prompt', lambda org: 20 + 2 * len(org.queues)),
    Kind('locations', 'Location', lambda org: 3),
    Kind('sites', 'Site', lambda org: 2),
    Kind('phones', 'Phone', lambda org: len(org.agents)),
    Kind('lines', 'Line', lambda org: len(org.agents) + 2),  # a line per phone, and two shared lines
    Kind('edges', 'Edge', lambda org: 2),
    Kind('did_pools', 'DID pool', lambda org: 3),
    Kind('dnc_lists', 'DNC list', lambda org: 2),
    Kind('teams', 'Team', lambda org: 2 + len(org.users) // 25),
    Kind('flow_outcomes', 'Outcome', lambda org: 6),
    Kind('flow_milestones', 'Milestone', lambda org: 5),
    Kind('work_types', 'Work type', lambda org: 4),
    Kind('workbins', 'Workbin', lambda org: 3),
    Kind('virtual_agents', 'AI agent', lambda org: 2),
    Kind('nlu_domains', 'NLU domain', lambda org: 3),
    Kind('knowledge_bases', 'Knowledge base', lambda org: 2),
    Kind('messenger_deployments', 'Messenger deployment', lambda org: 2),
    Kind('messenger_configurations', 'Messenger configuration', lambda org: 3),
    Kind('learning_modules', 'Learning module', lambda org: 7),
    Kind('journey_segments', 'Segment', lambda org: 5),
    Kind('action_maps', 'Action map', lambda org: 4),
    Kind('campaigns', 'Campaign', lambda org: 3),
    Kind('contact_lists', 'Contact list', lambda org: 5),
    Kind('response_libraries', 'Library', lambda org: 2),
    Kind('evaluation_forms', 'Evaluation form', lambda org: 4),
    Kind('presence_definitions', 'Presence', lambda org: 13),
)}

ORG_WIDE = ('schedules', 'schedule_groups', 'ivrs', 'sites', 'phones', 'lines', 'edges', 'did_pools')
HIDDEN = 1  # of an ORG_WIDE kind's entities, in a division the check's client does not see

# namespace -> key -> (default value, description, resource). Merged into the org's limit values
# (data/limits.py) and served in the limits documentation.
OBJECT_LIMITS = {
    'directory': {
        'users.max': (100000, 'Maximum number of users in an organization', 'users'),
        'locations.max': (10000, 'Maximum number of locations in an organization', 'locations'),
    },
    'routing': {
        'queues.max': (1000, 'Maximum number of queues in an organization', 'queues'),
        'wrapup.codes.max': (5000, 'Maximum number of wrap-up codes in an organization', 'wrapupcodes'),
        'utilization.labels.max': (100, 'Maximum number of utilization labels in an organization', 'labels'),
        'queue.members.max': (5000, 'Maximum number of members in a queue', 'queue members'),
    },
    'skills': {
        'skill.count.max': (1000, 'Maximum number of ACD skills in an organization', 'skills'),
        'language.count.max': (500, 'Maximum number of routing languages in an organization', 'languages'),
    },
    'groups': {
        'group.count.max': (5000, 'Maximum number of groups in an organization', 'groups'),
        'group.members.max': (5000, 'Maximum number of members in a group', 'group members'),
        'teams.max': (500, 'Maximum number of teams in an organization', 'teams'),
    },
    'authorization': {
        'max.divisions.per.org': (1000, 'Maximum number of divisions in an organization', 'divisions'),
        'org.roles.max': (1000, 'Maximum number of roles in an organization', 'roles'),
    },
    'architect': {
        'flows.max': (1000, 'Maximum number of flows in an organization', 'flows'),
        'datatable.rows.max': (5000, 'Maximum number of rows in a data table', 'data table rows'),
        'schedules.max': (5000, 'Maximum number of schedules in an organization', 'schedules'),
        'schedulegroups.max': (1000, 'Maximum number of schedule groups in an organization', 'schedule groups'),
        'emergencygroups.max': (100, 'Maximum number of emergency groups in an organization', 'emergency groups'),
        'ivrs.max': (1000, 'Maximum number of call routes (IVR configurations) in an organization', 'ivrs'),
        'prompts.max': (5000, 'Maximum number of user prompts in an organization', 'prompts'),
        'flow.outcomes.max': (100, 'Maximum number of flow outcomes in an organization', 'flow outcomes'),
        'flow.milestones.max': (100, 'Maximum number of flow milestones in an organization', 'flow milestones'),
    },
    'datatables': {
        'tables.max.allowed': (200, 'Maximum number of data tables in an organization', 'data tables'),
    },
    'integrations': {
        'integrations.max': (100, 'Maximum number of integrations in an organization', 'integrations'),
    },
    'dataactions': {
        'actions.total.max': (500, 'Maximum number of custom Data Actions in an organization', 'actions'),
        'actions.integration.max': (50, 'Maximum number of Data Actions per integration', 'actions'),
    },
    'telephony.configuration': {
        'sites.max': (1000, 'Maximum number of telephony sites in an organization', 'sites'),
        'phones.max': (50000, 'Maximum number of phone lines in an organization', 'lines'),
        'edges.max': (100, 'Maximum number of edges in an organization', 'edges'),
        'didpools.max': (500, 'Maximum number of DID pools in an organization', 'did pools'),
    },
    'outbound': {
        'campaigns.max': (500, 'Maximum number of outbound campaigns in an organization', 'campaigns'),
        'contact.lists.max': (5000, 'Maximum number of contact lists in an organization', 'contact lists'),
        'dnc.lists.max': (100, 'Maximum number of do-not-contact lists in an organization', 'dnc lists'),
    },
    'response.management': {
        'libraries.max': (100, 'Maximum number of response libraries in an organization', 'libraries'),
    },
    'quality': {
        'evaluationforms.max': (1000, 'Maximum number of evaluation forms in an organization', 'evaluation forms'),
    },
    'presence': {
        'definitions.max': (100, 'Maximum number of presence definitions in an organization', 'definitions'),
    },
    'task.management': {
        'worktypes.max': (500, 'Maximum number of work types in an organization', 'worktypes'),
        'workbins.max': (500, 'Maximum number of workbins in an organization', 'workbins'),
    },
    'agentic.virtual.agents': {
        'virtual.agents.max': (50, 'Maximum number of AI agents in an organization', 'virtual agents'),
    },
    'language.understanding': {
        'domains.max': (100, 'Maximum number of NLU domains in an organization', 'domains'),
    },
    'knowledge': {
        'knowledgebases.max': (50, 'Maximum number of knowledge bases in an organization', 'knowledge bases'),
    },
    'web.deployments': {
        'deployments.max': (100, 'Maximum number of Messenger deployments in an organization', 'deployments'),
        'configurations.max': (100, 'Maximum number of Messenger configurations in an organization',
                               'configurations'),
    },
    'learning': {
        'modules.max': (1000, 'Maximum number of learning modules in an organization', 'modules'),
    },
    'journey': {
        'segments.max': (100, 'Maximum number of journey segments in an organization', 'segments'),
        'actionmaps.max': (100, 'Maximum number of action maps in an organization', 'action maps'),
    },
}

# (namespace, key) as the org documents it by default -> the spelling this project used before (served with
# OrgOptions.legacy_limit_keys).
LEGACY_KEYS = {
    ('datatables', 'tables.max.allowed'): ('architect', 'datatables.max'),
    ('routing', 'wrapup.codes.max'): ('routing', 'wrapupcodes.max'),
    ('skills', 'skill.count.max'): ('routing', 'skills.max'),
    ('skills', 'language.count.max'): ('routing', 'languages.max'),
    ('groups', 'group.count.max'): ('groups', 'groups.max'),
    ('authorization', 'org.roles.max'): ('authorization', 'roles.max'),
    ('authorization', 'max.divisions.per.org'): ('authorization', 'divisions.max'),
    ('outbound', 'contact.lists.max'): ('outbound', 'contactlists.max'),
}

NEAR_LIMIT_TABLE = 0  # index of the data table seeded near its row limit (94 %), so a demo shows a warning


@dataclass
class Entity:
    id: str
    name: str


class OrgObjects:
    def __init__(self, org):
        self.org = org
        self._lock = threading.Lock()
        self.counts = {name: kind.count(org) for name, kind in KINDS.items()}
        rng = org.rng('objects')
        row_limit = OBJECT_LIMITS['architect']['datatable.rows.max'][0]
        self.table_rows = []  # rows of data table i
        for i in range(self.counts['data_tables']):
            self.table_rows.append(int(row_limit * 0.94) if i == NEAR_LIMIT_TABLE else rng.randint(0, 1200))
        members = max(1, len(org.users))
        self.group_members = [rng.randint(0, members) for _ in range(self.counts['groups'])]

    # -- entities --------------------------------------------------------------------------------

    def entity(self, kind, index) -> Entity:
        """Entity `index` of `kind`: the same id and name on every call."""
        rng = random.Random(f'{self.org.options.seed}:objects:{kind}:{index}')
        return Entity(str(uuid.UUID(int=rng.getrandbits(128), version=4)), f'{KINDS[kind].label} {index + 1}')

    def entities(self, kind):
        """Every entity of `kind`, as a lazy sequence (a listing renders only its page)."""
        return _Lazy(self, kind, self.counts[kind])

    def visible(self, kind):
        """The entities of `kind` a listing shows: all but HIDDEN of an ORG_WIDE kind (when it has more)."""
        hidden = HIDDEN if kind in ORG_WIDE and self.counts[kind] > HIDDEN else 0
        return _Lazy(self, kind, self.counts[kind] - hidden, start=hidden)

    def table_index(self, table_id):
        for i in range(self.counts['data_tables']):
            if self.entity('data_tables', i).id == table_id:
                return i
        return None

    # -- mutations tests use ---------------------------------------------------------------------

    def set_count(self, kind, count):
        with self._lock:
            if kind not in self.counts:
                raise KeyError(kind)
            self.counts[kind] = count
            if kind == 'data_tables':
                self.table_rows = (self.table_rows + [0] * count)[:count]
            if kind == 'groups':
                self.group_members = (self.group_members + [0] * count)[:count]

    def set_rows(self, table_index, rows):
        with self._lock:
            self.table_rows[table_index] = rows

    def set_group_members(self, group_index, members):
        with self._lock:
            self.group_members[group_index] = members


class _Lazy:
    """A read-only sequence of `count` entities, built on access (what the paging helpers slice)."""

    def __init__(self, objects, kind, count, start=0):
        self.objects, self.kind, self.count, self.start = objects, kind, count, start

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.objects.entity(self.kind, self.start + i) for i in range(*index.indices(self.count))]
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self.objects.entity(self.kind, self.start + index)


def org_objects(org) -> OrgObjects:
    return org.ext(OrgObjects)


def limit_docs(org_limits_defaults):
    """LimitDocumentation: every namespace's limits, object counts with their description and resource."""
    namespaces = []
    for namespace in sorted(org_limits_defaults):
        limits = []
        for key, default in sorted(org_limits_defaults[namespace].items()):
            _default, description, resource = OBJECT_LIMITS.get(namespace, {}).get(
                key, (default, f'{key} ({namespace})', namespace))
            limits.append({'key': key, 'defaultValue': default, 'description': description, 'resource': resource,
                           'configurable': True, 'trackable': key.endswith('.per.minute')})
        namespaces.append({'name': namespace, 'friendlyName': namespace.replace('.', ' ').title(),
                           'limits': limits})
    return {'url': 'https://developer.genesys.cloud/organization/organization/limits', 'namespaces': namespaces}
