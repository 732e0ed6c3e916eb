"""Operational events (`/api/v2/usage/events/*`, the Operational Console's feed) as Datadog events.

Each collection asks `POST /api/v2/usage/events/query` (ASC, 200 a page, nextUri) for events since the
persisted cursor, re-reading the last LATE_SECONDS so events published late are not missed. OperationalEvent
has no id, so an event is identified by a digest of its content; digests of recent events are persisted, so
an event becomes one Datadog event once, across runs and Agent restarts. Titles come from the event
definitions catalogue (`GET /api/v2/usage/events/definitions`, cached a day).

When the persisted state is lost, the first run sends nothing (it asks once, to prove access): only events
created after it count (a late one created before it is lost), so at most one window is lost and nothing is
sent twice. When only the digests are lost, events up to the cursor are treated as sent the same way.
Phone numbers (`phoneNumber`) are never sent.
"""

import hashlib
import json
from datetime import datetime, timedelta, timezone

from .. import tagging
from ..clock import iso_utc
from .base import Collector

QUERY = '/api/v2/usage/events/query'
DEFINITIONS = '/api/v2/usage/events/definitions'
PAGE_SIZE = 200  # "Number of entities to return. Maximum of 200." (SDK operational_events_api.py)
LATE_SECONDS = 600
DEFINITIONS_REFRESH = 86400
DIGEST_FIELDS = ('eventDefinition', 'entityId', 'entityVersion', 'dateCreated', 'errorCode', 'previousValue',
                 'currentValue', 'parentEntityId', 'conversation')


class OperationalEventsCollector(Collector):
    name = 'operational_events'
    permissions = ('usage:events:view',)

    @classmethod
    def minimum_requests(cls, size):
        return 1  # one query while under 200 new events (a cold start asks too, and counts nothing)

    def __init__(self, ctx):
        super().__init__(ctx)
        self._definitions = {}
        self._definitions_read = None

    def collect(self):
        now = self.clock.now()
        cursor = _parse(self.state.get('cursor', shape=str))
        baseline = cursor is None or cursor > now  # a cursor in the future (clock moved back) is not trusted
        if baseline:
            # No memory of what was sent (see module doc): only events created from now on count. Recording what
            # exists now by digest would not do: an event answered malformed now would come back sendable.
            cursor = now
            self.state.set('floor', iso_utc(now))
        floor = _parse(self.state.get('floor', shape=str)) or cursor - timedelta(seconds=LATE_SECONDS)
        seen = {} if baseline else self.state.get('seen', shape=dict[str, str])
        if seen is None:
            # The cursor survived but the digests of what was sent did not: events up to the cursor may have gone
            # out already, so only later ones count (a late one before it is lost, none is sent twice).
            seen, floor = {}, max(floor, cursor)
            self.state.set('floor', iso_utc(floor))
        start = max(cursor - timedelta(seconds=LATE_SECONDS), floor)
        if baseline:
            # Still ask once, so a missing permission shows at once; the answer is older than the floor and
            # counts for nothing.
            start = now - timedelta(seconds=LATE_SECONDS)
        new, listed = [], set()
        if now > start:
            body = {'interval': f'{iso_utc(start)}/{iso_utc(now)}', 'sortOrder': 'ASC'}
            for event in self.client.iter_next_uri(QUERY, params={'pageSize': PAGE_SIZE}, method='POST', body=body):
                found = self.per_item('operational event', event, _identify)
                if found is None:
                    continue
                digest, created = found
                if created < floor or digest in seen or digest in listed:
                    continue  # a page served twice must not make an event go out twice either
                listed.add(digest)
                new.append((digest, created, event))
        # Keep the digests the next query can return again (its start is now - LATE_SECONDS).
        keep_from = iso_utc(now - timedelta(seconds=LATE_SECONDS))
        seen = {d: when for d, when in seen.items() if when >= keep_from}
        self._submit(new, seen)
        self.state.set('seen', seen)
        self.state.set('cursor', iso_utc(now))

    def _submit(self, events, seen):
        """Each event is committed to `seen` (persisted) together with its emission, so a failure later in the
        batch never makes an event already sent go out again; a malformed one is skipped, marked seen."""
        if events:
            ids = {_definition_id(e) for _, _, e in events} - {None}
            self._load_definitions(missing=ids - set(self._definitions))
        limit = self.config.max_events_per_run
        per_definition = {}
        sent = skipped = 0
        for digest, created, event in events:
            title = self._definitions.get(_definition_id(event)) or _definition_id(event) or 'Operational event'
            payload = self.per_item('operational event', event, lambda e, t=title, c=created: self._payload(e, t, c))
            seen[digest] = iso_utc(created)  # a malformed event is marked seen too: skipped once, never retried
            if payload is not None:
                if sent < limit:
                    self.event(**payload)
                    sent += 1
                else:
                    skipped += 1
                per_definition[title] = per_definition.get(title, 0) + 1
            self.state.set('seen', seen)
        if skipped:
            self.event(title=f'Genesys Cloud: {skipped} more operational events',
                       text=f'{skipped} operational events were not sent individually (max_events_per_run is '
                            f'{limit}); see the Operational Console for the full list.',
                       alert_type='warning', aggregation_key='genesys_cloud_operational_events_overflow')
        for title, n in sorted(per_definition.items()):
            self.count('operational_events.count', n, [tagging.tag('definition', title)])

    @staticmethod
    def _payload(event, title, created):
        entity = event.get('entityName') or event.get('entityId') or 'unknown entity'
        lines = [f'Entity: {entity} ({event.get("entityId") or "no id"})']
        if event.get('previousValue') is not None or event.get('currentValue') is not None:
            lines.append(f'Value: {event.get("previousValue")} -> {event.get("currentValue")}')
        if event.get('errorCode'):
            lines.append(f'Error code: {event["errorCode"]}')
        conversation = (event.get('conversation') or {}).get('id')
        if conversation:
            lines.append(f'Conversation: {conversation}')
        tags = [tagging.tag('definition', title)]
        if event.get('entityId'):
            tags.append(tagging.tag('entity_id', event['entityId']))
        if event.get('errorCode'):
            tags.append(tagging.tag('error_code', event['errorCode']))
        return {
            'title': f'{title}: {entity}',
            'text': '\n'.join(lines),
            'tags': tags,
            'alert_type': 'error' if event.get('errorCode') else 'warning',
            'aggregation_key': f'genesys_cloud_operational_event:{_definition_id(event)}:{event.get("entityId")}',
            'timestamp': created.timestamp(),
        }

    def _load_definitions(self, missing):
        now = self.clock.time()
        age = None if self._definitions_read is None else now - self._definitions_read
        # Re-read daily, or sooner (at most every LATE_SECONDS) when an event names an unknown definition.
        if age is not None and age < DEFINITIONS_REFRESH and not (missing and age >= LATE_SECONDS):
            return
        self._definitions_read = now
        data = self.client.get(DEFINITIONS) or {}
        entities = data.get('entities') if isinstance(data, dict) else None
        self._definitions = {d['id']: str(d.get('name') or d['id']) for d in entities or []
                             if isinstance(d, dict) and isinstance(d.get('id'), str)}


def _definition_id(event):
    definition = event.get('eventDefinition')
    value = definition.get('id') if isinstance(definition, dict) else None
    return value if isinstance(value, str) else None


def _identify(event):
    """(digest, creation time) of an event; raises on an event that cannot be keyed (it is never counted)."""
    created = _parse(event.get('dateCreated'))
    if created is None:
        raise ValueError('no valid dateCreated')
    return _digest(event), created


def _digest(event) -> str:
    content = json.dumps([event.get(k) for k in DIGEST_FIELDS], sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(content.encode('utf-8')).hexdigest()[:20]


def _parse(text):
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(str(text).replace('Z', '+00:00'))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
