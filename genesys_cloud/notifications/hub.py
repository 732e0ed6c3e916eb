"""The check's side of the Notifications API: its channels, their sockets and what they said.

The collectors ask the hub, for each queue or user, the generation under which a topic is live this run
(`gen(topic)`): None means the topic is not held (never planned, rejected, its channel lost, its socket down
or stalled) and the collector polls that entity as it does without notifications. `sync()` runs at the start
of every check run: it pings each socket and waits (at most `SYNC_TIMEOUT`) for the answer, which the server
sends after everything it had already sent, so the state read afterwards is as fresh as the platform's.
"""

import time
from dataclasses import dataclass, field

from .connection import ChannelConnection
from .state import LiveState
from .topics import queue_topic

SYNC_TIMEOUT = 10.0


@dataclass
class Channel:
    id: str
    uri: str
    expires: float  # epoch seconds (the check's clock)
    topics: list = field(default_factory=list)
    permitted: set = field(default_factory=set)
    rejected: dict = field(default_factory=dict)  # topic -> reason
    subscribed_at: float = 0.0  # the check's clock at the last subscription
    connection: object = None
    new: bool = True  # installed since the last sync: its socket has not been asked anything yet


class NotificationHub:
    def __init__(self, log, connect_options=None, heartbeat_timeout=None):
        """connect_options: connect URI -> create_connection() keyword arguments (proxy, TLS), or None."""
        self.log = log
        self.state = LiveState()
        self.channels = {}  # slot (index in the plan) -> Channel
        self.plan = None
        self.user_ids = []  # users with a planned activity topic, in plan order
        self.users_total = 0
        self.problems = []  # what falls back to polling, for can_connect (rebuilt by the collector each run)
        self.stalled = set()  # slots whose socket answered nothing at the last sync
        self._topic_slot = {}
        self._live = {}  # slot -> (channel id, generation) live since the last sync
        self._connect_options = connect_options or (lambda uri: {})
        self._heartbeat_timeout = heartbeat_timeout
        self.sync_timeout = SYNC_TIMEOUT

    @property
    def active(self) -> bool:
        return bool(self.channels)

    # -- channels ---------------------------------------------------------------------------------

    def install(self, slot, channel):
        """Start (or replace) the channel in `slot` and its socket thread."""
        old = self.channels.get(slot)
        if old is not None and old.connection is not None:
            old.connection.stop(wait=0)
        options = {} if self._heartbeat_timeout is None else {'heartbeat_timeout': self._heartbeat_timeout}
        channel.connection = ChannelConnection(channel.id, channel.uri, self.state, self.log,
                                               connect_options=self._connect_options(channel.uri),
                                               **options).start()
        self.channels[slot] = channel
        self._index()

    def subscribed(self, slot, topics, permitted, rejected):
        channel = self.channels[slot]
        channel.topics, channel.permitted, channel.rejected = list(topics), set(permitted), dict(rejected)
        self._index()

    def remove(self, slot):
        channel = self.channels.pop(slot, None)
        if channel is not None and channel.connection is not None:
            channel.connection.stop(wait=0)
        self._index()

    def _index(self):
        self._topic_slot = {t: slot for slot, c in self.channels.items() for t in c.topics}

    def stop(self, wait=1.0):
        """Stop every socket thread; waits at most `wait` seconds in all (cancel() must not block)."""
        connections = [c.connection for c in self.channels.values() if c.connection is not None]
        for connection in connections:
            connection.stop(wait=0)
        deadline = time.monotonic() + wait
        for connection in connections:
            connection.stop(wait=max(0.0, deadline - time.monotonic()))

    # -- each run -----------------------------------------------------------------------------------

    def sync(self, timeout=None):
        timeout = self.sync_timeout if timeout is None else timeout
        self._live = {}
        self.stalled = set()
        for channel in self.channels.values():
            channel.new = False
        pinged = [(slot, c) for slot, c in self.channels.items() if c.connection and c.connection.ping()]
        deadline = time.monotonic() + timeout
        for slot, channel in pinged:
            if channel.connection.wait_pong(deadline) == 'stalled':
                self.stalled.add(slot)
                channel.connection.reconnect()  # its values are not live until seeded again
            else:
                self._live[slot] = (channel.id, channel.connection.generation)

    def gen(self, topic):
        """(channel id, generation) under which `topic` is live this run, or None (poll instead)."""
        slot = self._topic_slot.get(topic)
        if slot is None:
            return None
        channel = self.channels[slot]
        if topic not in channel.permitted:
            return None
        live = self._live.get(slot)
        if live is None or not channel.connection.connected or channel.connection.generation != live[1]:
            return None
        return live

    def held(self, topic) -> bool:
        return self.gen(topic) is not None

    def split_queues(self, queues, what):
        """({queue id: live values}, [(queue, gen), ...] to poll) for `what` ('counts' or 'longest'); a polled
        queue's gen is the generation its answer seeds, or None when its topic is not held."""
        live, polled = {}, []
        for queue in queues:
            gen = self.gen(queue_topic(queue['id']))
            values = self.state.queue(queue['id'], gen, what)
            if values is None:
                polled.append((queue, gen))
            else:
                live[queue['id']] = values
        return live, polled


def hub_of(ctx):
    """The instance's hub when notifications are on and at least one channel exists, else None."""
    hub = getattr(ctx.check, 'notifications', None)
    return hub if hub is not None and hub.active else None
