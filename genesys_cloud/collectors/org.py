"""Who we are connected to: the org behind the OAuth client (GET /api/v2/tokens/me, no permission needed)."""

from typing import Optional

from typing_extensions import NotRequired, TypedDict

from .. import tagging
from ..client import MalformedResponse
from .base import Collector


class SavedOrg(TypedDict):
    id: str
    name: Optional[str]
    own_client_id: NotRequired[Optional[str]]


class OrgCollector(Collector):
    name = 'org'
    permissions = ()
    identifies_org = True  # the scheduler runs nothing else until the org is known

    @property
    def known(self) -> bool:
        return bool((self.ctx.shared.get('org') or {}).get('id'))

    @classmethod
    def minimum_requests(cls, size):
        return 1

    def __init__(self, ctx):
        super().__init__(ctx)
        saved = self.state.get('org', shape=SavedOrg)
        if saved:  # after a restart the org tags are known before the lookup is due again
            self._apply(saved['id'], saved['name'], saved.get('own_client_id'))

    def restore(self, now):
        # Always due on a process's first run: one cheap request proves the credentials still work, so
        # can_connect is reported right after a restart even when every other collector is not yet due.
        return None

    def collect(self):
        me = self.client.get('/api/v2/tokens/me')
        org = me.get('organization') if isinstance(me, dict) else None
        client = (me.get('OAuthClient') if isinstance(me, dict) else None) or {}
        if not isinstance(org, dict) or not isinstance(org.get('id'), str) or not org['id']:
            raise MalformedResponse('GET /api/v2/tokens/me', 'the answer names no organization')
        name = org.get('name') if isinstance(org.get('name'), str) else None
        own = client.get('id') if isinstance(client, dict) and isinstance(client.get('id'), str) else None
        self._apply(org['id'], name, own)
        self.state.set('org', {'id': org['id'], 'name': name, 'own_client_id': own})

    def _apply(self, org_id, org_name, own_client_id):
        self.ctx.shared['org'] = {'id': org_id, 'name': org_name}
        self.ctx.shared['own_client_id'] = own_client_id
        org_tags = tagging.tags(org_id=org_id, org_name=org_name)
        # Base tags are rebuilt in place so every collector (holding the same list) sees the org tags.
        self.ctx.base_tags[:] = [t for t in self.ctx.base_tags if not t.startswith(('org_id:', 'org_name:'))]
        self.ctx.base_tags.extend(org_tags)
