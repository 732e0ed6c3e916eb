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
    if action == ('GET', 'notifications'):
        return 200, emu.notifications.describe()
    if action == ('POST', 'notifications'):
        return 200, _notification_faults(emu, _object(body))
    if action == ('GET', 'truth/contact_center'):
        return 200, contact_center_truth(emu)
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


def _notification_faults(emu, body):
    """Notification faults: {"drop": true} / {"closing": true} act at once; stall, duplicate, outOfOrder and
    reject (a list of topic substrings) stay until set again."""
    service = emu.notifications
    for key, attr in (('stall', 'stall'), ('duplicate', 'duplicate'), ('outOfOrder', 'out_of_order')):
        if key in body:
            setattr(service.faults, attr, bool(body[key]))
    if 'reject' in body:
        service.faults.reject = [str(s) for s in body['reject'] or []]
    if body.get('drop'):
        service.drop()
    if body.get('closing'):
        service.socket_closing()
    return service.describe()


def contact_center_truth(emu):
    """What the contact-center metrics should read now: waiting per queue, longest wait per queue, and the
    longest current NOT_RESPONDING (seconds), from the emulator's ground truth (benchmark freshness)."""
    from .data.contact_center import contact_center

    cc = contact_center(emu.org)
    t = emu.clock.time()
    with emu.org.lock:
        queue_ids = [q.id for q in emu.org.queues]
    waiting = {}
    longest = {}
    for queue_id in queue_ids:
        counts = cc.queue_counts(queue_id, t)
        waiting[queue_id] = sum(c['waiting'] for c in counts.values())
        longest[queue_id] = cc.longest_waiting_seconds(queue_id, t)
    states = cc.agent_states(t)
    not_responding = [t - s.routing_status_date.timestamp() for s in states.values()
                      if s.routing_status == 'NOT_RESPONDING']
    return {'now': t, 'waiting': waiting, 'longest_waiting': longest,
            'not_responding_longest': max(not_responding, default=0.0), 'not_responding': len(not_responding)}
