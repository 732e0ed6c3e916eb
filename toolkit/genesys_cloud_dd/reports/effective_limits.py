"""The value a limit had on each date: today's value from the Limits API, walked back through the change requests.

A change request that ended `ChangeImplemented` moved the limit to its `requestedValue` on its
`dateCompleted`; before the oldest one the limit had the value before it (its `currentValue` when the API still
gives the old value, else the default). A value above its default with no implemented request in the last
365 days was raised earlier, date unknown. Open and pending requests are listed as marks, not as values.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

IMPLEMENTED = 'ChangeImplemented'
CLOSED = ('ChangeImplemented', 'Rejected', 'RollbackImplemented', 'ReviewerRejected', 'Rollback')


@dataclass
class Raise:
    day: date
    before: int
    after: int
    request_id: str = ''


@dataclass
class Timeline:
    namespace: str
    key: str
    current: Optional[int]
    default: Optional[int]
    raises: list = field(default_factory=list)  # Raise, oldest first
    open_requests: list = field(default_factory=list)  # (created day, requested value, status)

    def at(self, day) -> Optional[int]:
        value = self.current
        for change in reversed(self.raises):
            if day < change.day:
                value = change.before
        return value

    @property
    def raised_before_history(self):
        """Raised above its default before any change request we can see."""
        first = self.raises[0].before if self.raises else self.current
        return first is not None and self.default is not None and first != self.default


def _day(text):
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _int(value):
    try:
        return int(round(float(value)))
    except (TypeError, ValueError):
        return None


def timeline(limits, change_requests, namespace, key, fallback=None) -> Timeline:
    current, default = (limits.get(namespace) or {}).get(key, (None, None))
    current, default = _int(current), _int(default)
    if current is None:
        current = default if default is not None else fallback
    line = Timeline(namespace, key, current, default)
    mine = [r for r in change_requests if isinstance(r, dict) and r.get('namespace') == namespace
            and r.get('key') == key]
    done = sorted((r for r in mine if r.get('status') == IMPLEMENTED and _day(r.get('dateCompleted'))
                   and _int(r.get('requestedValue')) is not None), key=lambda r: str(r.get('dateCompleted')))
    for request in done:
        after = _int(request.get('requestedValue'))
        before = _int(request.get('currentValue'))
        if before is None or before == after:
            before = line.raises[-1].after if line.raises else (default if default is not None else after)
        line.raises.append(Raise(_day(request.get('dateCompleted')), before, after, str(request.get('id') or '')))
    if line.raises and current is not None:
        line.raises[-1].after = current  # today's value is the Limits API's, whatever the requests said
    for request in mine:
        if request.get('status') not in CLOSED and _day(request.get('dateCreated')):
            line.open_requests.append((_day(request.get('dateCreated')), _int(request.get('requestedValue')),
                                       str(request.get('status'))))
    return line
