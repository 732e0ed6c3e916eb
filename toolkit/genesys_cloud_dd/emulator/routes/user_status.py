"""Per-user status reads: what an integration polling one user at a time calls.

The check never uses these (it reads presence and routing status for the whole org in a few requests);
the benchmark does, to measure the naive approach against it. Paths and models from the SDK:
`users_api.get_user_routingstatus` -> RoutingStatus{userId, status, startTime} and
`presence_api.get_user_presences_purecloud` -> UserPresence.
"""

from ..data.contact_center import contact_center
from ..errors import not_found
from ..formats import iso_ms
from ..routing import Sample, route
from .presence import render_presence


def _user(request):
    user = request.org.user(request.path_params['userId'])
    if user is None:
        raise not_found('User not found: ' + request.path_params['userId'])
    return user


def _first_user(api):
    return Sample(path_params={'userId': api.org.users[0].id})


@route('GET', '/api/v2/users/{userId}/routingstatus', sdk_model='RoutingStatus', samples=_first_user)
def routing_status(request):
    user = _user(request)
    state = contact_center(request.org).agent_states(request.clock.time()).get(user.id)
    if state is None:  # not an agent: Genesys answers OFF_QUEUE, as for an unknown routing state
        return {'userId': user.id, 'status': 'OFF_QUEUE'}
    return {'userId': user.id, 'status': state.routing_status, 'startTime': iso_ms(state.routing_status_date)}


@route('GET', '/api/v2/users/{userId}/presences/purecloud', sdk_model='UserPresence', samples=_first_user)
def purecloud_presence(request):
    return render_presence(request, _user(request))
