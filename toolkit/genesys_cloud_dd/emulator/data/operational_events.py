"""Operational events (the Operational Console's feed): ground truth for /api/v2/usage/events/*.

Definitions and events are drawn from the seed, events per hour of the org's history; an event becomes
visible once the emulator clock passes its dateCreated. `publish(...)` adds one now or late (at a past time).
Which definitions exist on the platform is UNVERIFIED (reference 4.5): the names below are illustrative.
OperationalEvent has no id field, so an event is identified by its content.
"""

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

DEFINITIONS = (
    ('Data Action execution failed', 'A Data Action returned an error or timed out', 'ACTION.REMOTE_ENDPOINT'),
    ('Architect flow error', 'An Architect flow took an error path', 'FLOW.ERROR'),
    ('Data table lookup failed', 'A data table lookup failed in a flow', 'DataTablesServerTooBusyException'),
    ('Rate limit warning', 'A trackable limit reached 90 %', 'too.many.requests'),
    ('Integration disabled', 'An integration was disabled after repeated failures', None),
    ('Webhook delivery failed', 'A notification could not be delivered', 'DELIVERY.FAILED'),
)
ENTITY_NAMES = ('Datadog - Send Log', 'CRM lookup', 'Customer by ANI', 'Main IVR', 'Callback flow', 'Holidays table',
                'Salesforce bridge')
EVENTS_PER_HOUR = (0, 0, 0, 1, 1, 2, 3)


@dataclass(frozen=True)
class Definition:
    id: str
    name: str
    description: str
    error_code: Optional[str]


@dataclass(frozen=True)
class OperationalEvent:
    definition_id: str
    entity_id: str
    entity_name: str
    date_created: datetime
    error_code: Optional[str] = None
    previous_value: Optional[str] = None
    current_value: Optional[str] = None
    conversation_id: Optional[str] = None


class OperationalEvents:
    def __init__(self, org):
        self.org = org
        rng = org.rng('operational-events')
        self.definitions = [Definition(str(uuid.UUID(int=rng.getrandbits(128), version=4)), name, text, code)
                            for name, text, code in DEFINITIONS]
        self.entities = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), name) for name in ENTITY_NAMES]
        self.start = org.anchor - timedelta(days=org.options.days)
        self._hours = {}
        self._published = []
        self._lock = threading.Lock()

    def definition(self, definition_id) -> Optional[Definition]:
        return next((d for d in self.definitions if d.id == definition_id), None)

    def _hour(self, hour_start):
        if hour_start not in self._hours:
            rng = self.org.rng(f'operational-events:{hour_start.isoformat()}')
            events = []
            for _ in range(rng.choice(EVENTS_PER_HOUR)):
                definition = rng.choice(self.definitions)
                entity_id, entity_name = rng.choice(self.entities)
                when = hour_start + timedelta(seconds=rng.randrange(3600), milliseconds=rng.randrange(1000))
                conversation = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if rng.random() < 0.6 else None
                events.append(OperationalEvent(definition.id, entity_id, entity_name, when, definition.error_code,
                                               'OK', 'ERROR', conversation))
            self._hours[hour_start] = events
        return self._hours[hour_start]

    def events(self, start: datetime, end: datetime):
        """Events visible now with start <= dateCreated < end, oldest first."""
        now = self.org.clock.now()
        out = []
        hour = max(start, self.start).replace(minute=0, second=0, microsecond=0)
        with self._lock:
            while hour < min(end, now + timedelta(seconds=1)):
                out.extend(e for e in self._hour(hour) if start <= e.date_created < end and e.date_created <= now)
                hour += timedelta(hours=1)
            out.extend(e for e in self._published if start <= e.date_created < end and e.date_created <= now)
        return sorted(out, key=lambda e: (e.date_created, e.definition_id, e.entity_id))

    def publish(self, definition_id, when=None, entity_index=0, error_code=None, conversation_id=None):
        """Add an event at `when` (default now; a past time makes it a late event). Returns it."""
        entity_id, entity_name = self.entities[entity_index % len(self.entities)]
        when = (when or self.org.clock.now()).astimezone(timezone.utc)
        definition = self.definition(definition_id)
        event = OperationalEvent(definition_id, entity_id, entity_name, when,
                                 error_code or (definition.error_code if definition else None), 'OK', 'ERROR',
                                 conversation_id)
        with self._lock:
            self._published.append(event)
        return event


def operational_events(org) -> OperationalEvents:
    return org.ext(OperationalEvents)
