"""The Notifications API's streaming side: channels, subscriptions and a real WebSocket server (`websockets`).

Behaviour follows reference 12 and the SDK models (see genesys_cloud/notifications/topics.py for sources):
- a channel lives 24 h on the emulator clock unless its subscriptions are set again (POST or PUT renews it);
- at most 20 channels per OAuth client: creating a 21st removes the oldest (its socket is closed);
- at most 1,000 topics per channel (more is a 400);
- one WebSocket per channel: a second connection closes the first;
- nothing is delivered while no socket is open (the baseline is reset on connect, so missed changes are lost);
- heartbeats `{"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}` every
  `heartbeat_interval` real seconds; `{"message": "ping"}` is answered on channel.metadata with "pong" after
  every change up to now has been sent (the emulator computes changes when asked, so a ping is a sync point);
- a notification goes out when a topic's snapshot changed: queue observations (V2QueueObservation... model) per
  queue, user activity (UserActivity model) per agent, from the same ground truth as the analytics queries.

Faults (`emu.notifications.faults`): drop (close sockets without a close frame), stall (send nothing, pongs and
heartbeats included), duplicate (every notification twice), out_of_order (each notification held back until
the next one went out), closing (send v2.system.socket_closing, then close), reject (topics matching a
substring are Rejected with a missing permission).
"""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from .data.contact_center import agent_state, contact_center
from .errors import bad_request, not_found
from .formats import iso_ms, utc

MAX_CHANNELS = 20
MAX_TOPICS = 1000
LIFETIME = 24 * 3600
HEARTBEAT = {'topicName': 'channel.metadata', 'eventBody': {'message': 'WebSocket Heartbeat'}}
PONG = {'topicName': 'channel.metadata', 'eventBody': {'message': 'pong'}}
CLOSING = {'topicName': 'v2.system.socket_closing',
           'eventBody': {'message': 'The socket will close for maintenance; reconnect within a minute.'}}
QUEUE_PERMISSION = 'analytics:queueObservation:view'
# What each topic pattern requires (availabletopics). The activity topic's permission is UNVERIFIED: the
# emulator asks none of a client-credentials token for it.
TOPICS = {
    'v2.analytics.queues.{id}.observations': ('Observations of a queue (conversation counts, longest wait)',
                                              [QUEUE_PERMISSION]),
    'v2.users.{id}.activity': ('A user\'s routing status, presence and active queues', []),
    'v2.routing.queues.{id}.conversations': ('Conversations of a queue', ['routing:queue:view']),
}


@dataclass
class Faults:
    drop: bool = False
    stall: bool = False
    duplicate: bool = False
    out_of_order: bool = False
    reject: list = field(default_factory=list)  # substrings of topics to reject


@dataclass
class Channel:
    id: str
    client_id: str
    created: float
    expires: float
    topics: dict = field(default_factory=dict)  # topic -> last snapshot sent (JSON text) or None
    connection: object = None
    lock: object = field(default_factory=threading.RLock)
    held: dict = field(default_factory=dict)  # out_of_order: topic -> the message going out after its next one
    sent: int = 0


class NotificationService:
    def __init__(self, emulator, heartbeat_interval=30.0, tick=0.5):
        self.emu = emulator
        self.heartbeat_interval = heartbeat_interval
        self.tick = tick
        self.faults = Faults()
        self.channels = {}  # id -> Channel, oldest first
        self.lock = threading.RLock()
        self.connections = 0  # sockets accepted so far
        self._server = None
        self._threads = []
        self._stop = threading.Event()
        self._users = None
        self._user_queues = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, host):
        self._server = serve(self._handle, host, 0, process_request=self._admit, compression=None,
                             ping_interval=None, max_size=2**16, close_timeout=1)
        self.port = self._server.socket.getsockname()[1]
        self.host = host
        self._stop.clear()
        for target, name in ((self._server.serve_forever, 'emulator-ws'), (self._ticker, 'emulator-ws-tick')):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self):
        self._stop.set()
        with self.lock:
            channels = list(self.channels.values())
        for channel in channels:
            self._close(channel)
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    # -- REST (routes/notifications.py) -----------------------------------------------------------

    def create(self, client_id) -> Channel:
        now = self.emu.clock.time()
        with self.lock:
            self._expire(now)
            own = [c for c in self.channels.values() if c.client_id == client_id]
            removed = own[0] if len(own) >= MAX_CHANNELS else None
            if removed is not None:
                del self.channels[removed.id]
            channel = Channel('streaming-0-' + uuid.uuid4().hex, client_id, now, now + LIFETIME)
            self.channels[channel.id] = channel
        if removed is not None:
            self._close(removed)  # a 21st channel removes the oldest
        return channel

    def render(self, channel):
        return {'connectUri': f'ws://{self.host}:{self.port}/channels/{channel.id}', 'id': channel.id,
                'expires': iso_ms(utc(channel.expires))}

    def owned(self, client_id):
        with self.lock:
            self._expire(self.emu.clock.time())
            return [c for c in self.channels.values() if c.client_id == client_id]

    def get(self, channel_id, client_id) -> Channel:
        with self.lock:
            self._expire(self.emu.clock.time())
            channel = self.channels.get(channel_id)
        if channel is None or channel.client_id != client_id:
            raise not_found(f'Channel not found: {channel_id}')
        return channel

    def subscribe(self, channel, body, replace, permissions):
        if not isinstance(body, list) or not all(isinstance(t, dict) and isinstance(t.get('id'), str) for t in body):
            raise bad_request('The body must be a list of {"id": "<topic>"}.')
        names = list(dict.fromkeys(t['id'] for t in body))
        with channel.lock:
            topics = {} if replace else dict(channel.topics)
            for name in names:
                topics.setdefault(name, None)
            if len(topics) > MAX_TOPICS:
                raise bad_request(f'A channel holds at most {MAX_TOPICS} topics; {len(topics)} were asked.',
                                  field='topics')
            results = {name: self._admission(name, permissions) for name in topics}
            now = self.emu.clock.time()
            channel.topics = {name: channel.topics.get(name) if name in channel.topics else self._snapshot(name, now)
                              for name, (state, _) in results.items() if state == 'Permitted'}
            channel.expires = now + LIFETIME
        return [self.render_topic(name, *results[name]) for name in topics]

    def unsubscribe(self, channel):
        with channel.lock:
            channel.topics = {}

    def render_topic(self, name, state='Permitted', missing=()):
        entity = {'id': name, 'state': state, 'selfUri': '/api/v2/notifications/availabletopics'}
        if state == 'Rejected':
            entity['rejectionReason'] = 'Missing permissions' if missing else 'Unknown topic'
            entity['missingPermissions'] = list(missing)
        return entity

    def _admission(self, name, permissions):
        """('Permitted'|'Rejected', missing permissions) of a topic for this client."""
        pattern, entity_id = _pattern(name)
        if pattern is None or not self._exists(pattern, entity_id):
            return 'Rejected', ()
        required = TOPICS[pattern][1]
        missing = [p for p in required if not permissions.has(p)]
        if any(s in name for s in self.faults.reject):
            missing = missing or (required or ['notifications:subscription:add'])
        return ('Rejected', missing) if missing else ('Permitted', ())

    def _exists(self, pattern, entity_id):
        org = self.emu.org
        if 'queues' in pattern:
            return org.queue(entity_id) is not None
        return entity_id in self._user_index()

    def _expire(self, now):
        for channel in [c for c in self.channels.values() if c.expires <= now]:
            del self.channels[channel.id]
            self._close(channel)

    # -- snapshots --------------------------------------------------------------------------------

    def _user_index(self):
        if self._users is None:
            with self.emu.org.lock:
                self._users = {u.id: u for u in self.emu.org.users}
                queues = {}
                for q in self.emu.org.queues:
                    for member in q.member_ids:
                        queues.setdefault(member, []).append(q.id)
                self._user_queues = queues
        return self._users

    def _snapshot(self, topic, t):
        pattern, entity_id = _pattern(topic)
        if pattern == 'v2.analytics.queues.{id}.observations':
            body = self.queue_observation(entity_id, t)
        elif pattern == 'v2.users.{id}.activity':
            body = self.user_activity(entity_id, t)
        else:
            body = None
        return None if body is None else json.dumps(body, sort_keys=True)

    def queue_observation(self, queue_id, t):
        """The V2QueueObservationObservationCountNotification body of a queue at t."""
        cc = contact_center(self.emu.org)
        results = []
        conversations = cc.conversations(queue_id, t)
        for media in cc.media_types(queue_id):
            mine = [c for c in conversations if c.media_type == media]
            states = [c.state(t) for c in mine]
            data = [{'metric': 'oWaiting', 'count': states.count('waiting')},
                    {'metric': 'oAlerting', 'count': states.count('alerting')},
                    {'metric': 'oInteracting', 'count': states.count('interacting')}]
            waiting = [c.arrived for c, s in zip(mine, states) if s == 'waiting']
            if waiting:
                oldest = min(waiting)
                value = (t - oldest) * 1000 if cc.longest_waiting_as == 'duration' else oldest * 1000
                data.append({'metric': 'oLongestWaiting', 'count': len(waiting), 'calculatedMetricValue': int(value)})
            results.append({'mediaType': media, 'data': data})
        return {'results': results}

    def user_activity(self, user_id, t):
        """The UserActivity body of an agent at t (None for users who take no queue routing)."""
        user = self._user_index().get(user_id)
        if user is None or not user.is_agent or user.state != 'active':
            return None
        cc = contact_center(self.emu.org)
        state = agent_state(cc.seed, user_id, t)
        return {
            'id': user_id,
            'routingStatus': {'status': state.routing_status, 'startTime': iso_ms(state.routing_status_date)},
            'presence': {'presenceDefinition': {'id': cc.organization_presence_id(state.system_presence),
                                                'systemPresence': state.system_presence},
                         'presenceMessage': '', 'modifiedDate': iso_ms(state.presence_date)},
            'outOfOffice': {'active': False},
            'activeQueueIds': list(self._user_queues.get(user_id, [])),
        }

    # -- sockets ----------------------------------------------------------------------------------

    def _admit(self, connection, request):
        channel_id = request.path.rsplit('/', 1)[-1] if request.path.startswith('/channels/') else ''
        with self.lock:
            self._expire(self.emu.clock.time())
            found = self.channels.get(channel_id)
        if found is None:
            return connection.respond(404, 'Channel not found\n')
        return None

    def _handle(self, connection):
        channel_id = connection.request.path.rsplit('/', 1)[-1]
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                return
            previous, channel.connection = channel.connection, connection
            self.connections += 1
        if previous is not None:
            _terminate(previous, graceful=True)  # one WebSocket per channel: the newer one wins
        now = self.emu.clock.time()
        with channel.lock:  # nothing from before this connection is delivered
            channel.topics = {name: self._snapshot(name, now) for name in channel.topics}
            channel.held = {}
        try:
            for text in connection:
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if isinstance(message, dict) and message.get('message') == 'ping':
                    self.pump(channel)
                    self._send(channel, PONG)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if channel.connection is connection:
                    channel.connection = None

    def pump(self, channel):
        """Send a notification for every topic of the channel whose snapshot changed."""
        if self.faults.stall or channel.connection is None:
            return
        with channel.lock:
            now = self.emu.clock.time()
            for name, last in list(channel.topics.items()):
                snapshot = self._snapshot(name, now)
                if snapshot == last or snapshot is None:
                    continue
                channel.topics[name] = snapshot
                envelope = {'topicName': name, 'version': '2', 'eventBody': json.loads(snapshot),
                            'metadata': {'CorrelationId': str(uuid.uuid4())}, 'timestamp': iso_ms(utc(now))}
                self._notify(channel, name, envelope)
            if not self.faults.out_of_order:
                for held in channel.held.values():
                    self._send(channel, held)
                channel.held.clear()

    def _notify(self, channel, topic, envelope):
        held = channel.held.pop(topic, None)
        if self.faults.out_of_order:
            if held is None:
                channel.held[topic] = envelope  # goes out after the topic's next notification
                return
            order = (envelope, held)  # the newer first, then the older
        else:
            order = (held, envelope) if held is not None else (envelope,)
        for message in order:
            self._send(channel, message)
            if self.faults.duplicate:
                self._send(channel, message)

    def _send(self, channel, message):
        connection = channel.connection
        if connection is None or self.faults.stall:
            return
        if self.faults.drop:
            _terminate(connection, graceful=False)
            return
        try:
            with channel.lock:
                connection.send(json.dumps(message))
                channel.sent += 1
        except (ConnectionClosed, OSError, RuntimeError):
            pass

    def _close(self, channel):
        connection, channel.connection = channel.connection, None
        if connection is not None:
            _terminate(connection, graceful=True)

    def socket_closing(self, channel_id=None):
        """Announce maintenance on the channel's socket (every channel when None), then close it."""
        with self.lock:
            channels = [c for c in self.channels.values() if channel_id in (None, c.id)]
        for channel in channels:
            connection = channel.connection
            if connection is not None:
                self._send(channel, CLOSING)
                _terminate(connection, graceful=True)

    def drop(self, channel_id=None):
        """Close sockets without a close frame, as a network failure does."""
        with self.lock:
            channels = [c for c in self.channels.values() if channel_id in (None, c.id)]
        for channel in channels:
            if channel.connection is not None:
                _terminate(channel.connection, graceful=False)

    def _ticker(self):
        last_heartbeat = time.monotonic()
        while not self._stop.wait(self.tick):
            with self.lock:
                self._expire(self.emu.clock.time())
                channels = list(self.channels.values())
            heartbeat = time.monotonic() - last_heartbeat >= self.heartbeat_interval
            if heartbeat:
                last_heartbeat = time.monotonic()
            for channel in channels:
                if channel.connection is None:
                    continue
                if heartbeat:
                    self._send(channel, HEARTBEAT)
                if not hasattr(self.emu.clock, 'advance'):
                    self.pump(channel)  # real time moves by itself; a frozen clock is pumped by pings

    def describe(self):
        with self.lock:
            return {'channels': [{**self.render(c), 'clientId': c.client_id, 'topics': len(c.topics),
                                  'connected': c.connection is not None, 'sent': c.sent}
                                 for c in self.channels.values()],
                    'connections': self.connections,
                    'faults': {'drop': self.faults.drop, 'stall': self.faults.stall,
                               'duplicate': self.faults.duplicate, 'outOfOrder': self.faults.out_of_order,
                               'reject': list(self.faults.reject)}}


def _pattern(topic):
    """(pattern, entity id) of a topic the emulator knows, else (None, None)."""
    if not isinstance(topic, str):
        return None, None
    parts = topic.split('.')
    for pattern in TOPICS:
        shape = pattern.split('.')
        if len(shape) == len(parts) and all(a == b or a == '{id}' for a, b in zip(shape, parts)):
            return pattern, parts[shape.index('{id}')]
    return None, None


def _terminate(connection, graceful):
    try:
        if graceful:
            connection.close(code=1000)
        else:
            connection.socket.shutdown(2)
    except Exception:  # already closed
        pass
