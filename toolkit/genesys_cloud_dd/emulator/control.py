"""/_emulator/* : drive faults, clock, permissions and counters when the emulator runs as a subprocess.

Never authenticated, never counted, never faulted: it is test plumbing, not part of the Genesys API.
"""

from .errors import ApiError, bad_request
from .validation import parse_instant

PREFIX = '/_emulator/'


def handle(emu, method, path, body):
    """(status, JSON body) for a control request."""
    action = (method, path[len(PREFIX):].strip('/'))
    if action == ('GET', 'stats'):
        return 200, emu.stats()
    if action == ('DELETE', 'stats'):
        emu.reset_counters()
        return 200, emu.stats()
    if action == ('POST', 'faults'):
        try:
            fault = emu.faults.add(**_object(body))
        except (TypeError, ValueError) as exc:
            raise bad_request(str(exc)) from None
        return 200, fault.as_dict()
    if action == ('GET', 'faults'):
        return 200, [fault.as_dict() for fault in emu.faults]
    if action == ('DELETE', 'faults'):
        emu.faults.clear()
        return 200, []
    if action == ('POST', 'clock'):
        return 200, _advance_clock(emu, _object(body))
    if action == ('POST', 'permissions'):
        return 200, _set_permissions(emu, _object(body))
    if action == ('POST', 'tokens/revoke'):
        emu.tokens.revoke_all()
        return 200, {'revoked': len(emu.tokens)}
    raise ApiError(404, 'not.found', f'Unknown emulator control endpoint {method} {path}')


def _object(body):
    if not isinstance(body, dict):
        raise bad_request('The control request body must be a JSON object.')
    return body


def _advance_clock(emu, body):
    if not hasattr(emu.clock, 'advance'):
        raise bad_request('The emulator runs on the real clock; start it with --fake-clock to move time.')
    if 'set' in body:
        emu.clock.set(parse_instant(body['set'], 'set'))
    if 'advance' in body:
        emu.clock.advance(float(body['advance']))
    return {'now': emu.clock.now().isoformat()}


def _set_permissions(emu, body):
    if body.get('reset'):
        emu.permissions.reset()
    if 'deny' in body:
        emu.permissions.deny(*body['deny'])
    if 'allowOnly' in body:
        emu.permissions.allow_only(body['allowOnly'])
    return emu.permissions.describe()
