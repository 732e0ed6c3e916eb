"""Login, token info, OAuth clients, users, routing queues and divisions.

Field names follow the SDK models named on each route (purecloudplatformclientv2 269.0.0 attribute_map);
tests/test_emulator_fidelity.py holds every answer to them.
"""

import base64
import binascii
from urllib.parse import parse_qs

from ..errors import ApiError, not_found
from ..formats import iso_ms
from ..paging import full_listing, no_totals_listing, unpaged_listing
from ..routing import Response, Sample, route

# Page size ceilings: queue members are documented "Max value is 100"; 500 for the others is the common
# platform ceiling (UNVERIFIED per endpoint).
MAX_PAGE_SIZE = 500
MAX_MEMBERS_PAGE_SIZE = 100


# -- renderers ------------------------------------------------------------------------------------

def division_ref(org, division_id):
    """SDK model Division (on users and queues)."""
    division = org.division(division_id)
    return {'id': division.id, 'name': division.name, 'selfUri': '/api/v2/authorization/divisions/' + division.id}


def render_user(org, user):
    """SDK model User."""
    return {
        'id': user.id,
        'name': user.name,
        'division': division_ref(org, user.division_id),
        'email': user.email,
        'username': user.email,
        'state': user.state,
        'version': 1,
        'acdAutoAnswer': False,
        'selfUri': '/api/v2/users/' + user.id,
    }


def render_queue(org, queue):
    """SDK model Queue."""
    count = len(queue.member_ids)
    return {
        'id': queue.id,
        'name': queue.name,
        'division': division_ref(org, queue.division_id),
        'description': '',
        'dateCreated': iso_ms(queue.date_created),
        'dateModified': iso_ms(queue.date_modified),
        'memberCount': count,
        'userMemberCount': count,
        'joinedMemberCount': count,
        'scoringMethod': 'TimestampAndPriority',
        'lastAgentRoutingMode': 'Disabled',
        'skillEvaluationMethod': 'BEST',
        'autoAnswerOnly': False,
        'enableTranscription': False,
        'enableManualAssignment': False,
        'suppressInQueueCallRecording': True,
        'selfUri': '/api/v2/routing/queues/' + queue.id,
    }


def render_member(org, user):
    """SDK model QueueMember (members are users; everyone has joined)."""
    return {
        'id': user.id,
        'name': user.name,
        'user': {'id': user.id, 'name': user.name, 'selfUri': '/api/v2/users/' + user.id},
        'ringNumber': 1,
        'joined': True,
        'memberBy': 'user',
        'selfUri': '/api/v2/users/' + user.id,
    }


def _role_ids(org):
    # One role per client; kept here through org.ext so org.py stays free of API detail.
    rng = org.rng('roles')
    return {client.id: f'{rng.getrandbits(128):032x}' for client in org.oauth_clients}


def _user_ref(user_id):
    return {'id': user_id, 'selfUri': '/api/v2/users/' + user_id} if user_id else None


def render_oauth_client(org, client):
    """SDK model OAuthClient (the secret is left out of every answer; whether listings carry it is UNVERIFIED)."""
    body = {
        'id': client.id,
        'name': client.name,
        'description': client.description,
        'accessTokenValiditySeconds': client.access_token_validity_seconds,
        'authorizedGrantType': client.authorized_grant_type,
        'state': client.state,
        'dateCreated': iso_ms(client.date_created),
        'dateModified': iso_ms(client.date_modified),
        'selfUri': '/api/v2/oauth/clients/' + client.id,
    }
    if client.created_by_id:
        body['createdBy'] = body['modifiedBy'] = _user_ref(client.created_by_id)
    if client.authorized_grant_type == 'CLIENT-CREDENTIALS':
        # Client-credentials clients carry roles; scopes only apply to the other grants.
        role_id = org.ext(_role_ids).get(client.id)
        body['roleDivisions'] = [{'roleId': role_id, 'divisionId': org.home_division.id}] if role_id else []
    else:
        body['scope'] = ['users:readonly']
        body['registeredRedirectUri'] = ['https://apps.example.com/oauth/callback']
    return body


def render_division(org, division):
    """SDK model AuthzDivision."""
    return {
        'id': division.id,
        'name': division.name,
        'description': 'Home division' if division.home else '',
        'homeDivision': division.home,
        'selfUri': '/api/v2/authorization/divisions/' + division.id,
    }


# -- login ----------------------------------------------------------------------------------------

def _login_error(status, error, description=None):
    body = {'error': error}
    if description:
        body.update(description=description, error_description=description)
    return Response(status, body)


def _basic_credentials(request):
    scheme, _, value = (request.headers.get('Authorization') or '').partition(' ')
    if scheme.lower() == 'basic':
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode('utf-8').partition(':')
            return client_id, secret
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    form = _form(request)
    return form.get('client_id'), form.get('client_secret')


def _form(request):
    return {k: v[0] for k, v in parse_qs(request.body.decode('utf-8', 'replace'), keep_blank_values=True).items()}


# Not typed by the Python SDK (the Java SDK calls it AuthResponse), hence sdk_model=None.
@route('POST', '/oauth/token', sdk_model=None, auth=False)
def post_token(request):
    emu = request.emulator
    client_id, secret = _basic_credentials(request)
    if not client_id or emu.credentials.get(client_id) != secret:
        return _login_error(401, 'invalid_client', 'client not found')
    if _form(request).get('grant_type') != 'client_credentials':
        return _login_error(400, 'unsupported_grant_type')
    token = emu.tokens.issue(client_id)
    return {'access_token': token.value, 'token_type': 'bearer', 'expires_in': emu.tokens.ttl}


# -- API routes -----------------------------------------------------------------------------------

@route('GET', '/api/v2/tokens/me', sdk_model='TokenInfo')
def get_token_info(request):
    org = request.org
    client = org.oauth_client(request.token.client_id)
    organization = {'id': org.id, 'name': org.name}
    oauth_client = {'id': request.token.client_id, 'name': request.token.client_id, 'organization': organization}
    if client is not None:
        oauth_client = render_oauth_client(org, client)
        # OrgOAuthClient has no description/secret/selfUri/redirect fields.
        for key in ('description', 'accessTokenValiditySeconds', 'selfUri', 'registeredRedirectUri'):
            oauth_client.pop(key, None)
        oauth_client['organization'] = organization
    return {
        'organization': organization,
        'homeOrganization': organization,
        'authorizedScope': [],
        'OAuthClient': oauth_client,
    }


@route('GET', '/api/v2/oauth/clients', sdk_model='OAuthClientEntityListing', permissions=('oauth:client:view',))
def get_oauth_clients(request):
    # The SDK exposes no paging parameters here: one page with everything.
    org = request.org
    with org.lock:
        clients = sorted(org.oauth_clients, key=lambda c: (c.name.lower(), c.id))
    return unpaged_listing(request, clients, lambda c: render_oauth_client(org, c))


@route('GET', '/api/v2/oauth/clients/{clientId}', sdk_model='OAuthClient', permissions=('oauth:client:view',),
       samples=lambda api: Sample(path_params={'clientId': api.org.check_client.id}))
def get_oauth_client(request):
    client = request.org.oauth_client(request.path_params['clientId'])
    if client is None:
        raise not_found('OAuth client not found: ' + request.path_params['clientId'])
    return render_oauth_client(request.org, client)


@route('GET', '/api/v2/users', sdk_model='UserEntityListing',
       samples=[Sample(), Sample(query={'pageSize': '10', 'pageNumber': '2'})])
def get_users(request):
    org = request.org
    state = request.query.get('state', 'active')
    ids = set(request.query_all.get('id', []))
    with org.lock:
        users = [u for u in org.users if (state == 'any' or u.state == state) and (not ids or u.id in ids)]
    return full_listing(request, users, lambda u: _expanded_user(request, u), max_size=MAX_PAGE_SIZE)


@route('GET', '/api/v2/users/{userId}', sdk_model='User',
       samples=lambda api: Sample(path_params={'userId': api.org.users[0].id}))
def get_user(request):
    # users_api.get_user: one user by id, any id the listing returns (expand as on the listing)
    user = request.org.user(request.path_params['userId'])
    if user is None:
        raise not_found('User not found: ' + request.path_params['userId'])
    return _expanded_user(request, user)


# `expand=<field>` of GET /api/v2/users: other route modules register field -> fn(request, user) -> value
# (routes/presence.py adds `presence`). Unknown expands are ignored, as the platform's best effort does.
USER_EXPANDS = {}


def _expanded_user(request, user):
    body = render_user(request.org, user)
    for value in request.query_all.get('expand', []):
        for name in value.split(','):
            render = USER_EXPANDS.get(name.strip())
            if render is not None:
                body[name.strip()] = render(request, user)
    return body


def _name_matches(pattern, name):
    # "Include only queues with the given name (leading and trailing asterisks allowed)".
    pattern, name = pattern.lower(), name.lower()
    core = pattern.strip('*')
    if pattern.startswith('*') and pattern.endswith('*') and len(pattern) > 1:
        return core in name
    if pattern.startswith('*'):
        return name.endswith(core)
    if pattern.endswith('*'):
        return name.startswith(core)
    return name == pattern


@route('GET', '/api/v2/routing/queues', sdk_model='QueueEntityListing', permissions=('routing:queue:view',),
       samples=[Sample(), Sample(query={'pageSize': '2', 'pageNumber': '1'})])
def get_queues(request):
    org = request.org
    name = request.query.get('name')
    ids = set(request.query_all.get('id', []))
    divisions = set(request.query_all.get('divisionId', []))
    with org.lock:
        queues = [
            q for q in org.queues
            if (name is None or _name_matches(name, q.name)) and (not ids or q.id in ids)
            and (not divisions or q.division_id in divisions)
        ]
    queues.sort(key=lambda q: (q.name.lower(), q.id))  # "results are sorted by name"
    return full_listing(request, queues, lambda q: render_queue(org, q), max_size=MAX_PAGE_SIZE)


@route('GET', '/api/v2/routing/queues/{queueId}/members', sdk_model='QueueMemberEntityListing',
       permissions=('routing:queue:view',),
       samples=lambda api: Sample(path_params={'queueId': api.org.queues[0].id}, query={'pageSize': '5'}))
def get_queue_members(request):
    org = request.org
    queue_id = request.path_params['queueId']
    with org.lock:
        queue = org.queue(queue_id)
        if queue is None:
            raise ApiError(404, 'not.found', 'Queue not found: ' + queue_id)
        members = [org.user(uid) for uid in queue.member_ids]
    members = [m for m in members if m is not None]
    name = request.query.get('name')
    if name:
        members = [m for m in members if name.lower() in m.name.lower()]
    members.sort(key=lambda u: (u.name.lower(), u.id))  # "results are sorted by name"
    return no_totals_listing(request, members, lambda u: render_member(org, u), max_size=MAX_MEMBERS_PAGE_SIZE)


@route('GET', '/api/v2/authorization/divisions', sdk_model='AuthzDivisionEntityListing')
def get_divisions(request):
    org = request.org
    ids = set(request.query_all.get('id', []))
    divisions = [d for d in org.divisions if not ids or d.id in ids]
    return full_listing(request, divisions, lambda d: render_division(org, d), max_size=MAX_PAGE_SIZE)
