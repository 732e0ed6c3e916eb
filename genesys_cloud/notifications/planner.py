"""Which topics go on which channel, within the platform's limits.

Every selected queue's observations first (they replace the largest polling cost), then user activity for as
many users as the remaining topics allow; users left out are counted by polling. Pure: no I/O.
"""

from dataclasses import dataclass, field

from .topics import MAX_CHANNELS, MAX_TOPICS_PER_CHANNEL, queue_topic, user_topic


@dataclass
class Plan:
    channels: list = field(default_factory=list)  # [[topic, ...], ...], each at most max_topics long
    queues: int = 0  # queues with a topic
    users: int = 0  # users with a topic
    queues_left_out: int = 0
    users_left_out: int = 0

    @property
    def topics(self) -> int:
        return sum(len(c) for c in self.channels)


def plan(queue_ids, user_ids, users_total=None, max_channels=MAX_CHANNELS, max_topics=MAX_TOPICS_PER_CHANNEL) -> Plan:
    """queue_ids and user_ids in priority order; users_total: users in the org (user_ids may be a prefix)."""
    capacity = max(0, max_channels) * max(1, max_topics)
    queues = list(dict.fromkeys(queue_ids))[:capacity]
    users = list(dict.fromkeys(user_ids))[:capacity - len(queues)]
    topics = [queue_topic(q) for q in queues] + [user_topic(u) for u in users]
    channels = [topics[i:i + max_topics] for i in range(0, len(topics), max_topics)]
    total_users = max(users_total or 0, len(set(user_ids)))
    return Plan(channels, len(queues), len(users), len(set(queue_ids)) - len(queues), total_users - len(users))


def user_capacity(queues, max_channels=MAX_CHANNELS, max_topics=MAX_TOPICS_PER_CHANNEL) -> int:
    """User topics left once `queues` queue topics are placed."""
    return max(0, max_channels * max_topics - queues)
