"""`GET /api/v2/users?expand=presence`: each user's current presence (SDK model UserPresence).

Verified against the SDK: `expand` takes `presence` (Java SDK GetUsersRequest.expandValues) and User carries
`presence: UserPresence{source, primary, presenceDefinition{id, systemPresence}, message, modifiedDate}`
(Python SDK models/user.py, user_presence.py, presence_definition.py). The spelling of `systemPresence` in this
answer ("On Queue" or ON_QUEUE) is UNVERIFIED; the emulator uses the display form, the check accepts both.
"""

import functools
import math

from ..data.licensing import PRESENCE_DISPLAY, licensing
from ..formats import iso_ms, utc
from . import core


def render_presence(request, user):
    data = licensing(request.org)
    now = request.clock.time()
    system = data.presence_at(user, now)
    definition_id = data.presence_id(system)
    modified = _half_hour(now)
    return {
        'source': 'PURECLOUD',
        'primary': True,
        'presenceDefinition': {
            'id': definition_id,
            'systemPresence': PRESENCE_DISPLAY[system],
            'selfUri': '/api/v2/presencedefinitions/' + definition_id,
        },
        'message': '',
        'modifiedDate': modified,
        'selfUri': f'/api/v2/users/{user.id}/presences/PURECLOUD',
    }


@functools.lru_cache(maxsize=64)
def _half_hour(now):
    return iso_ms(utc(math.floor(now / 1800) * 1800))


core.USER_EXPANDS['presence'] = render_presence
