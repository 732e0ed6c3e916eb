"""Who we are connected to: the org behind the OAuth client (GET /api/v2/tokens/me, no permission needed)."""

from .. import tagging
from .base import Collector


class OrgCollector(Collector):
    name = 'org'
    default_interval = 900
    permissions = ()

    def collect(self):
        me = self.client.get('/api/v2/tokens/me')
        org = me.get('organization') or {}
        client = me.get('OAuthClient') or {}
        self.ctx.shared['org'] = {'id': org.get('id'), 'name': org.get('name')}
        self.ctx.shared['own_client_id'] = client.get('id')
        org_tags = tagging.tags(org_id=org.get('id'), org_name=org.get('name'))
        # Base tags are rebuilt in place so every collector (holding the same list) sees the org tags.
        self.ctx.base_tags[:] = [t for t in self.ctx.base_tags if not t.startswith(('org_id:', 'org_name:'))]
        self.ctx.base_tags.extend(org_tags)
