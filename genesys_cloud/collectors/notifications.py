"""The REST side of the Notifications API transport: plan topics, create channels, subscribe, renew.

Runs first after the org lookup, every minute, and usually sends nothing: requests go out only to create a
channel (`POST /api/v2/notifications/channels`), to set its topics (`PUT .../channels/{id}/subscriptions`, which
replaces them), to renew it before its 24 h expiry (the same PUT, an hour early), to ask whether a channel
whose socket keeps failing still exists (`HEAD .../channels/{id}`), and for the hourly user listing that picks
the users whose activity has a topic (`GET /api/v2/users`, streamed: only the ids that fit are kept).
Whatever cannot be held (a topic rejected, a channel that cannot be created or reached) is polled by the
collectors as without notifications, and `can_connect` says so as a WARNING until it is held again.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

from ..client import GenesysApiError, MalformedResponse, NotFound
from ..client.paging import PageGuard
from ..notifications import planner
from ..notifications.hub import Channel
from ..notifications.topics import CHANNEL_LIFETIME, epoch, parse_topic
from .base import Collector, pages
from .licensing_support import SHARED_USER_IDS
from .queue_list import selected_queues

CHANNELS = '/api/v2/notifications/channels'
USERS = '/api/v2/users'
USER_PAGE_SIZE = 500
USER_REFRESH = 3600  # seconds between user listings (new users get a topic within the hour)
USER_WAIT_RUNS = 15  # runs to wait for concurrent_usage's listing before paging the users ourselves
RENEW_BEFORE = 3600  # resubscribe this long before a channel expires
RETRY_REJECTED = 600  # seconds before topics that were rejected are asked for again (a role may have changed)
HEAD_AFTER_FAILURES = 3
# Channels lost this often within an hour are being taken by someone else (another Agent or integration on the
# same OAuth client opening channels: the 21st removes the oldest); recreating them would take theirs in turn.
MAX_LOSSES_PER_HOUR = 3  # failed connection attempts in a row before asking whether the channel still exists


class NotificationsCollector(Collector):
    name = 'notifications'
    permissions = ()  # creating a channel lists none; each topic's missing permissions come back when subscribing

    @classmethod
    def minimum_requests(cls, size):
        users = min(size.users, planner.user_capacity(size.queues))
        channels = -(-(min(size.queues, planner.user_capacity(0)) + users) // planner.MAX_TOPICS_PER_CHANNEL)
        # the shared queue list, the user listing, then one POST and one PUT per channel
        return pages(size.queues, 100) + pages(size.users, USER_PAGE_SIZE) + 2 * channels

    def __init__(self, ctx, hub):
        super().__init__(ctx)
        # `notifications` is a top-level boolean, not a section: this collector has the section fields fixed.
        self.config = SimpleNamespace(enabled=True, interval=60)  # cheap: it sends nothing unless needed
        self.hub = hub
        self._users = None  # {'at', 'ids', 'total'}: the last complete user listing
        self._scan = None  # the listing in progress (resumed after a budget deferral)
        self._received = self._reconnects = 0
        self._losses = []  # the check's clock each time a channel was found gone
        self._waited = 0  # runs spent waiting for concurrent_usage's first user listing


    def collect(self):
        queue_ids = [q['id'] for q in selected_queues(self.ctx)]
        if self._users is None or self.clock.time() - self._users['at'] >= USER_REFRESH:
            self._adopt(planner.user_capacity(len(queue_ids)))  # no request: what concurrent_usage listed
        users = self._users or {'ids': [], 'total': 0}
        plan = planner.plan(queue_ids, users['ids'], users['total'])
        problems = []
        try:
            for slot, topics in enumerate(plan.channels):
                self._hold(slot, topics, problems)
            for slot in [s for s in self.hub.channels if s >= len(plan.channels)]:
                self.hub.remove(slot)
        finally:
            self.hub.plan = plan
            self.hub.user_ids = users['ids'][:plan.users]
            self.hub.users_total = users['total']
            self._report(plan, problems)
        self._list_users(len(queue_ids))  # last: a deferred listing never holds up the channels

    # -- channels ---------------------------------------------------------------------------------

    def _hold(self, slot, topics, problems):
        channel = self.hub.channels.get(slot)
        connection = channel.connection if channel else None
        if connection is not None and not connection.connected and (
                connection.gone or (connection.failures >= HEAD_AFTER_FAILURES and not self._exists(channel))):
            self.log.info('notifications: channel %s is gone (%s)', channel.id, connection.last_error or 'not found')
            self.hub.remove(slot)
            self._losses.append(self.clock.time())
            channel = None
        if channel is None:
            now = self.clock.time()
            self._losses = [t for t in self._losses if now - t < 3600]
            if len(self._losses) >= MAX_LOSSES_PER_HOUR:
                problems.append(f'channel {slot + 1} ({_describe(topics)}) not recreated: {len(self._losses)} '
                                'channels were removed within the hour, so something else on this OAuth client is '
                                'opening channels (20 at most; a 21st removes the oldest); give the check its own '
                                'OAuth client')
                return
        try:
            if channel is None:
                channel = self._create()
                self.hub.install(slot, channel)
                self._subscribe(slot, channel, topics)
            elif channel.topics != topics or channel.expires - self.clock.time() < RENEW_BEFORE or (
                    channel.rejected and self.clock.time() - channel.subscribed_at >= RETRY_REJECTED):
                self._subscribe(slot, channel, topics)
        except NotFound:  # removed between our check and the PUT (a 21st channel elsewhere, or expired)
            self.hub.remove(slot)
            self._losses.append(self.clock.time())
            channel = self._create()
            self.hub.install(slot, channel)
            self._subscribe(slot, channel, topics)
        except GenesysApiError as e:
            doing = 'could not be created' if slot not in self.hub.channels else 'could not be subscribed'
            problems.append(f'channel {slot + 1} ({_describe(topics)}) {doing}: {e}')
            raise  # one log line for the collector; the next run tries again

    def _create(self) -> Channel:
        data = self.client.post(CHANNELS)
        if not isinstance(data, dict) or not isinstance(data.get('id'), str) or not data['id']:
            raise MalformedResponse(f'POST {CHANNELS}', 'the answer has no channel `id`')
        uri = data.get('connectUri')
        if not isinstance(uri, str) or not self._acceptable(uri):
            raise MalformedResponse(f'POST {CHANNELS}', 'the channel\'s connectUri is not a WebSocket URI the '
                                                        'check may use (wss://, or ws:// for a plain-HTTP api_url)')
        expires = epoch(data.get('expires')) or self.clock.time() + CHANNEL_LIFETIME
        return Channel(data['id'], uri, expires)

    def _acceptable(self, uri) -> bool:
        scheme = urlsplit(uri).scheme.lower()
        if scheme == 'wss':
            return True
        # Plain ws:// only when the API itself is plain HTTP (the emulator): never downgrade a TLS deployment.
        return scheme == 'ws' and urlsplit(self.ctx.config.api_url or 'https:').scheme == 'http'

    def _subscribe(self, slot, channel, topics):
        path = f'{CHANNELS}/{channel.id}/subscriptions'
        answer = self.client.put(path, body=[{'id': t} for t in topics],
                                 endpoint='PUT /api/v2/notifications/channels/{channelId}/subscriptions')
        entities = answer.get('entities') if isinstance(answer, dict) else None
        if not isinstance(entities, list):
            raise MalformedResponse(f'PUT {CHANNELS}/{{channelId}}/subscriptions', 'the answer has no `entities`')
        wanted = set(topics)
        permitted, rejected = set(), {}
        for entity in entities:
            if not isinstance(entity, dict) or not isinstance(entity.get('id'), str) or entity['id'] not in wanted:
                continue
            if entity.get('state') == 'Rejected':
                missing = entity.get('missingPermissions')
                reason = str(entity.get('rejectionReason') or 'rejected')[:120]
                if isinstance(missing, list) and missing:
                    reason += f' (missing {", ".join(str(p)[:60] for p in missing[:3])})'
                rejected[entity['id']] = reason
            else:
                permitted.add(entity['id'])
        # Resubscribing renews the channel's 24 hours (reference 12; that the full lifetime restarts is UNVERIFIED).
        channel.expires = channel.subscribed_at = self.clock.time()
        channel.expires += CHANNEL_LIFETIME
        self.hub.subscribed(slot, topics, permitted, rejected)

    def _exists(self, channel) -> bool:
        try:
            self.client.request('HEAD', f'{CHANNELS}/{channel.id}',
                                endpoint='HEAD /api/v2/notifications/channels/{channelId}')
        except NotFound:
            return False
        return True

    # -- users ------------------------------------------------------------------------------------

    def _list_users(self, queue_topics):
        now = self.clock.time()
        if self._users is not None and now - self._users['at'] < USER_REFRESH:
            return
        capacity = planner.user_capacity(queue_topics)
        if self._adopt(capacity):
            return
        if self._concurrent_usage_lists() and self._users is None and self._waited < USER_WAIT_RUNS:
            self._waited += 1
            return  # its first listing will come (a large org's takes a few runs of budget)
        scan = self._scan
        if scan is None:
            scan = self._scan = {'page': 1, 'ids': [], 'seen': 0, 'guard': PageGuard(f'GET {USERS}')}
        # Streamed: each page is reduced to the ids that still fit, so 50,000 users never sit in memory at once.
        while True:
            data = self.client.get(USERS, params={'state': 'active', 'pageSize': USER_PAGE_SIZE,
                                                  'pageNumber': scan['page']})
            scan['guard'].visit(scan['page'])
            entities = data.get('entities') if isinstance(data, dict) else None
            if not isinstance(entities, list):
                self._scan = None
                raise MalformedResponse(f'GET {USERS}', 'the answer has no `entities` list')
            new = 0
            for entity in entities:
                if isinstance(entity, dict) and isinstance(entity.get('id'), str) and entity['id']:
                    scan['seen'] += 1
                    new += 1
                    if len(scan['ids']) < capacity:
                        scan['ids'].append(entity['id'])
            page_count = data.get('pageCount')
            if not entities or (isinstance(page_count, int) and scan['page'] >= page_count) or (
                    page_count is None and len(entities) < USER_PAGE_SIZE):
                break
            scan['guard'].page(data, new, USER_PAGE_SIZE)
            scan['page'] += 1
        self._scan = None
        ids = list(dict.fromkeys(scan['ids']))
        self._users = {'at': now, 'ids': ids, 'total': max(scan['seen'], len(ids))}

    def _adopt(self, capacity) -> bool:
        """Take concurrent_usage's listing when it is fresh: it pages the same active users every 10 minutes."""
        listed = self.ctx.shared.get(SHARED_USER_IDS)
        if listed is None or self.clock.time() - listed['at'] >= USER_REFRESH or (
                self._users is not None and self._users['at'] >= listed['at']):
            return False
        self._users = {'at': listed['at'], 'ids': listed['ids'][:capacity], 'total': len(listed['ids'])}
        return True

    def _concurrent_usage_lists(self) -> bool:
        return any(c.name == 'concurrent_usage' and c.enabled for c in getattr(self.ctx.check, 'collectors', ()))

    # -- report -----------------------------------------------------------------------------------

    def _report(self, plan, problems):
        held = {'queue': 0, 'user': 0}
        planned = {'queue': plan.queues, 'user': plan.users}
        rejected = {}
        for channel in self.hub.channels.values():
            for topic in channel.topics:
                kind = (parse_topic(topic) or ('other',))[0]
                if self.hub.held(topic) and kind in held:
                    held[kind] += 1
            for topic, reason in channel.rejected.items():
                rejected.setdefault(reason, []).append(topic)
        for reason, topics in sorted(rejected.items()):
            problems.append(f'{_describe(topics)} rejected: {reason}')
        lost = []
        for slot, channel in sorted(self.hub.channels.items()):
            if channel.permitted and not channel.new and not any(self.hub.held(t) for t in channel.permitted):
                state = 'stalled' if slot in self.hub.stalled else (channel.connection.last_error or 'not connected')
                lost.append(f'channel {slot + 1} ({_describe(channel.permitted)}): {state}')
        problems.extend(lost)
        self.hub.problems = problems
        connected = sum(1 for c in self.hub.channels.values() if c.connection and c.connection.connected)
        self.gauge('notifications.channels', connected)
        for kind, tag in (('queue', 'queue_observations'), ('user', 'user_activity')):
            self.gauge('notifications.topics', held[kind], tags=[f'topic_kind:{tag}', 'status:live'])
            left_out = plan.queues_left_out if kind == 'queue' else plan.users_left_out
            self.gauge('notifications.topics', planned[kind] - held[kind] + left_out,
                       tags=[f'topic_kind:{tag}', 'status:polled'])
        state = self.hub.state
        received = state.received
        reconnects = sum(c.connection.reconnects for c in self.hub.channels.values() if c.connection)
        self.count('notifications.messages', max(0, received - self._received))
        self.count('notifications.reconnects', max(0, reconnects - self._reconnects))
        self._received, self._reconnects = received, reconnects


def _describe(topics) -> str:
    kinds = {}
    for topic in topics:
        kind = (parse_topic(topic) or ('other',))[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    names = {'queue': 'queue observation', 'user': 'user activity', 'other': 'other'}
    return ', '.join(f'{n} {names[k]} topic{"s" if n != 1 else ""}' for k, n in sorted(kinds.items())) or 'no topics'
