"""The synthetic org: deterministic ground truth the emulator serves and tests assert against.

Everything is drawn from one random.Random(seed), so the same options give the same ids and names.
Domain data (usage history, presence, billing) is not built here: data modules derive it lazily with
`org.ext(factory)`, from the same seed, without this file changing.
"""

import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Optional

from datadog_checks.genesys_cloud.clock import Clock

from .names import CHECK_CLIENT_NAME, DIVISION_NAMES, FIRST_NAMES, LAST_NAMES, OAUTH_CLIENT_NAMES, QUEUE_NAMES


@dataclass(frozen=True)
class OrgOptions:
    seed: int = 42
    users: int = 50
    queues: int = 5
    oauth_clients: int = 6  # including the check's own client
    divisions: int = 2
    days: int = 35  # days of history the data modules generate
    org_name: str = 'Emulated Contact Center'
    org_id: Optional[str] = None  # derived from the seed when None
    check_client_id: Optional[str] = None  # the id the emulator accepts; derived from the seed when None
    agent_ratio: float = 0.8
    legacy_limit_keys: bool = False  # object-count limits under this project's earlier spellings (data/objects.py)


@dataclass
class Division:
    id: str
    name: str
    home: bool = False


@dataclass
class User:
    id: str
    name: str
    email: str
    division_id: str
    state: str = 'active'
    is_agent: bool = True
    date_created: Optional[datetime] = None


@dataclass
class Queue:
    id: str
    name: str
    division_id: str
    member_ids: list = field(default_factory=list)
    date_created: Optional[datetime] = None
    date_modified: Optional[datetime] = None


@dataclass
class OAuthClient:
    id: str
    name: str
    authorized_grant_type: str = 'CLIENT-CREDENTIALS'
    state: str = 'active'
    access_token_validity_seconds: int = 86400
    description: str = ''
    date_created: Optional[datetime] = None
    date_modified: Optional[datetime] = None
    created_by_id: Optional[str] = None
    is_check_client: bool = False


class SyntheticOrg:
    def __init__(self, options=None, clock=None):
        self.options = options or OrgOptions()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self._ext = {}
        rng = random.Random(self.options.seed)
        self.rng_seed = self.options.seed
        # Anchored on the UTC midnight of "now", so a real clock gives the same org all day long.
        self.anchor = datetime.combine(self.clock.now().date(), time(0), tzinfo=timezone.utc)
        self.id = self.options.org_id or self._uuid(rng)
        self.name = self.options.org_name
        self.divisions = self._make_divisions(rng)
        self.users = self._make_users(rng)
        self.queues = self._make_queues(rng)
        self.oauth_clients = self._make_oauth_clients(rng)
        self.check_client_secret = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(43))

    # -- construction ---------------------------------------------------------------------------

    @staticmethod
    def _uuid(rng):
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _past(self, rng, min_days, max_days):
        return self.anchor - timedelta(days=rng.randint(min_days, max_days), seconds=rng.randint(0, 86399))

    def _make_divisions(self, rng):
        count = max(1, self.options.divisions)
        return [
            Division(self._uuid(rng), _numbered(DIVISION_NAMES, i), home=(i == 0)) for i in range(count)
        ]

    def _make_users(self, rng):
        users = []
        for i in range(self.options.users):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f'{first.lower()}.{_ascii(last).lower()}{i + 1}@example.com'
            users.append(User(
                id=self._uuid(rng),
                name=f'{first} {last}',
                email=email,
                division_id=rng.choice(self.divisions).id,
                is_agent=rng.random() < self.options.agent_ratio,
                date_created=self._past(rng, self.options.days + 30, self.options.days + 700),
            ))
        return users

    def _make_queues(self, rng):
        agents = [u.id for u in self.users if u.is_agent]
        queues = []
        for i in range(self.options.queues):
            created = self._past(rng, self.options.days + 30, self.options.days + 700)
            queues.append(Queue(self._uuid(rng), _numbered(QUEUE_NAMES, i), rng.choice(self.divisions).id,
                                [], created, created))
        # Every agent answers one to four queues, as in a real contact center: membership grows with the
        # agents, not with agents x queues, so a 50,000-user org stays as cheap to serve as a real one.
        for agent in agents:
            if queues:
                for queue in rng.sample(queues, rng.randint(1, min(4, len(queues)))):
                    queue.member_ids.append(agent)
        return queues

    def _make_oauth_clients(self, rng):
        admin = self.users[0].id if self.users else None
        clients = []
        for i in range(max(1, self.options.oauth_clients)):
            created = self._past(rng, self.options.days + 10, self.options.days + 900)
            client_id = self._uuid(rng)
            if i == 0:
                clients.append(OAuthClient(
                    self.options.check_client_id or client_id, CHECK_CLIENT_NAME,
                    description='Read-only client used by the Datadog Agent check',
                    date_created=created, date_modified=created, created_by_id=admin, is_check_client=True))
                continue
            # Mostly client-credentials integrations, with the odd user-facing app for realism.
            grant = 'CODE' if i % 5 == 4 else ('TOKEN' if i % 7 == 6 else 'CLIENT-CREDENTIALS')
            clients.append(OAuthClient(client_id, _numbered(OAUTH_CLIENT_NAMES, i - 1), grant,
                                       date_created=created, date_modified=created, created_by_id=admin))
        return clients

    # -- lookups --------------------------------------------------------------------------------

    @property
    def check_client(self) -> OAuthClient:
        return next(c for c in self.oauth_clients if c.is_check_client)

    @property
    def agents(self):
        return [u for u in self.users if u.is_agent]

    @property
    def home_division(self) -> Division:
        return next(d for d in self.divisions if d.home)

    def division(self, division_id) -> Optional[Division]:
        return next((d for d in self.divisions if d.id == division_id), None)

    def user(self, user_id) -> Optional[User]:
        return next((u for u in self.users if u.id == user_id), None)

    def queue(self, queue_id) -> Optional[Queue]:
        return next((q for q in self.queues if q.id == queue_id), None)

    def oauth_client(self, client_id) -> Optional[OAuthClient]:
        return next((c for c in self.oauth_clients if c.id == client_id), None)

    # -- extension ------------------------------------------------------------------------------

    def ext(self, factory):
        """factory(org), computed once and cached: how emulator/data/ modules hang domain data here."""
        with self.lock:
            if factory not in self._ext:
                self._ext[factory] = factory(self)
            return self._ext[factory]

    def rng(self, purpose: str) -> random.Random:
        """An independent stream per purpose, so one data module's draws never shift another's."""
        return random.Random(f'{self.options.seed}:{purpose}')

    # -- mutations tests use --------------------------------------------------------------------

    def rename_queue(self, queue_id, name):
        with self.lock:
            queue = self._require(self.queue(queue_id), 'queue', queue_id)
            queue.name = name
            queue.date_modified = self.clock.now()

    def delete_queue(self, queue_id):
        with self.lock:
            self.queues.remove(self._require(self.queue(queue_id), 'queue', queue_id))

    def rename_oauth_client(self, client_id, name):
        with self.lock:
            client = self._require(self.oauth_client(client_id), 'OAuth client', client_id)
            client.name = name
            client.date_modified = self.clock.now()

    @staticmethod
    def _require(found, kind, entity_id):
        if found is None:
            raise KeyError(f'no {kind} with id {entity_id}')
        return found


def _numbered(pool, index):
    name = pool[index % len(pool)]
    return name if index < len(pool) else f'{name} {index // len(pool) + 1}'


def _ascii(text):
    return text.encode('ascii', 'ignore').decode()
