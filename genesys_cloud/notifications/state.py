"""What the notifications have said, held in memory and read by the collectors at each run.

Written by the connection threads, read by the check's thread: every access takes the lock. Each value
remembers the connection generation that delivered it (`(channel key, generation)`): a connection that
dropped lost whatever happened while it was down, so values from an earlier generation are not live until
polling seeds them again or a new notification replaces them.
"""

import threading

from . import topics


class LiveState:
    def __init__(self):
        self._lock = threading.Lock()
        self._queues = {}  # queue id -> {'media', 'counts_gen', 'longest_gen', 'ts'}
        self._users = {}  # user id -> {'routing', 'routing_since', 'presence', 'agent', 'gen', 'ts'}
        self.received = 0
        self.out_of_order = 0
        self.malformed = 0

    # -- written by the connection threads ---------------------------------------------------------

    def apply(self, message, gen, log=None) -> bool:
        """One notification (parsed JSON) from the connection of generation `gen`; False when ignored."""
        topic = topics.parse_topic(message.get('topicName'))
        if topic is None:
            return False
        kind, entity_id = topic
        stamp = topics.epoch(message.get('timestamp'))
        try:
            body = message['eventBody']
            parsed = topics.observation(body) if kind == 'queue' else topics.activity(body)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            with self._lock:
                self.malformed += 1
            if log is not None:
                log.warning('notifications: skipped a malformed %s message (%s: %s)', message.get('topicName'),
                            type(e).__name__, e)
            return False
        with self._lock:
            self.received += 1
            table = self._queues if kind == 'queue' else self._users
            item = table.get(entity_id)
            if item is not None and item.get('gen') == gen and stamp is not None and item.get('ts') is not None \
                    and stamp < item['ts']:
                self.out_of_order += 1  # an older snapshot arriving after a newer one
                return False
            if kind == 'user' and item is not None and item.get('gen') == gen and parsed['routing_since'] and \
                    item.get('routing_since') and parsed['routing_since'] < item['routing_since']:
                self.out_of_order += 1
                return False
            if kind == 'queue':
                media = dict(item['media']) if item and item.get('counts_gen') == gen else {}
                media.update(parsed)
                table[entity_id] = {'media': media, 'counts_gen': gen, 'longest_gen': gen, 'gen': gen, 'ts': stamp}
            else:
                agent = bool(parsed['queues']) or bool(item and item.get('agent'))
                table[entity_id] = {**parsed, 'agent': agent, 'gen': gen, 'ts': stamp}
        return True

    # -- seeded by polling (check thread) ----------------------------------------------------------

    def seed_queue(self, queue_id, gen, media=None, longest=None):
        """Polled values for a queue whose topic is live at `gen`: counts (media -> {metric: count}) and/or
        the longest wait value per media type. A notification of the same generation is newer: it wins."""
        with self._lock:
            item = self._queues.setdefault(queue_id, {'media': {}, 'counts_gen': None, 'longest_gen': None,
                                                      'gen': None, 'ts': None})
            if media is not None and item['counts_gen'] != gen:
                merged = {m: {**v, topics.LONGEST_WAITING: (item['media'].get(m) or {}).get(topics.LONGEST_WAITING)}
                          for m, v in media.items()}
                item['media'] = merged
                item['counts_gen'] = gen
            if longest is not None and item['longest_gen'] != gen:
                for media_type, value in longest.items():
                    item['media'].setdefault(media_type, dict.fromkeys(topics.CONVERSATION_METRICS, 0))
                    item['media'][media_type][topics.LONGEST_WAITING] = value
                for media_type, values in item['media'].items():
                    if media_type not in longest:
                        values[topics.LONGEST_WAITING] = None
                item['longest_gen'] = gen

    def seed_user(self, user_id, gen, routing=None, routing_since=None, presence=None, agent=True):
        with self._lock:
            item = self._users.get(user_id)
            if item is not None and item.get('gen') == gen:
                return
            self._users[user_id] = {'routing': routing, 'routing_since': routing_since, 'presence': presence,
                                    'presence_since': None, 'queues': [], 'agent': agent, 'gen': gen, 'ts': None}

    # -- read by the collectors ----------------------------------------------------------------------

    def queue(self, queue_id, gen, what='counts'):
        """The queue's media values when they are live at `gen` (counts, or longest), else None."""
        with self._lock:
            item = self._queues.get(queue_id)
            if item is None or gen is None or item[f'{what}_gen'] != gen:
                return None
            return {m: dict(v) for m, v in item['media'].items()}

    def user(self, user_id, gen):
        with self._lock:
            item = self._users.get(user_id)
            if item is None or gen is None or item['gen'] != gen:
                return None
            return dict(item)

    def forget(self, queue_ids=(), user_ids=()):
        """Drop what is held for entities no longer planned (deleted queues, users left out)."""
        with self._lock:
            for q in queue_ids:
                self._queues.pop(q, None)
            for u in user_ids:
                self._users.pop(u, None)
