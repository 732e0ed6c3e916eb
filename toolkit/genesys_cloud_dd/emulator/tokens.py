"""Access tokens issued by POST /oauth/token; they expire on the emulator clock."""

import secrets
import threading
from dataclasses import dataclass


@dataclass
class Token:
    value: str
    client_id: str
    issued_at: float
    expires_at: float
    revoked: bool = False


class TokenStore:
    def __init__(self, clock, ttl):
        self.clock = clock
        self.ttl = ttl
        self._tokens = {}
        self._lock = threading.Lock()

    def issue(self, client_id) -> Token:
        now = self.clock.time()
        token = Token(secrets.token_urlsafe(32), client_id, now, now + self.ttl)
        with self._lock:
            self._tokens[token.value] = token
        return token

    def validate(self, value):
        """The live Token for a bearer value, or None when unknown, revoked or expired."""
        with self._lock:
            token = self._tokens.get(value)
        if token is None or token.revoked or self.clock.time() >= token.expires_at:
            return None
        return token

    def revoke(self, value):
        with self._lock:
            if value in self._tokens:
                self._tokens[value].revoked = True

    def revoke_all(self):
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True

    def __len__(self):
        return len(self._tokens)

    def __iter__(self):
        with self._lock:
            return iter(list(self._tokens.values()))
