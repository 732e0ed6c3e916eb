"""Who we are connected to: the org behind the OAuth client (GET /api/v2/tokens/me, no permission needed)."""

from typing import Optional

from typing_extensions import NotRequired, TypedDict

from .. import tagging
from .base import Collector


class SavedOrg(TypedDict):
    id: str
    name: Optional[str]
    own_client_id: NotRequired[Optional[str]]


class OrgCollector(Collector):
    name = 'org'
    default_interval = 900
    permissions = ()

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
        org = me.get('organization') or {}
        client = me.get('OAuthClient') or {}
        self._apply(org.get('id'), org.get('name'), client.get('id'))
        if org.get('id'):
            self.state.set('org', {'id': org.get('id'), 'name': org.get('name'), 'own_client_id': client.get('id')})

    def _apply(self, org_id, org_name, own_client_id):
        self.ctx.shared['org'] = {'id': org_id, 'name': org_name}
        self.ctx.shared['own_client_id'] = own_client_id
        org_tags = tagging.tags(org_id=org_id, org_name=org_name)
        # Base tags are rebuilt in place so every collector (holding the same list) sees the org tags.
        self.ctx.base_tags[:] = [t for t in self.ctx.base_tags if not t.startswith(('org_id:', 'org_name:'))]
        self.ctx.base_tags.extend(org_tags)
