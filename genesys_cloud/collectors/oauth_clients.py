"""OAuth client id -> name, from `GET /api/v2/oauth/clients` (permission oauth:client:view), cached per instance.

Shared by every collector that tags by client (`oauth_client_names(collector)`): one listing request an hour
at most, whatever the number of clients (the endpoint takes no paging parameters and returns them all).
A client renamed in Genesys gets its new name at the next refresh. When the listing is forbidden or fails,
the cached names (or the names the caller's own data carries) are used and collection goes on.
"""

from .. import tagging
from ..client import ApiUnreachable, AuthenticationError, GenesysApiError, PermissionDenied

PATH = '/api/v2/oauth/clients'
PERMISSION = 'oauth:client:view'
REFRESH_SECONDS = 3600
SHARED_KEY = 'oauth_client_names'


class OAuthClientNames:
    def __init__(self, client, clock, log):
        self._client = client
        self._clock = clock
        self._log = log
        self._names = {}
        self._checked = None  # time of the last listing attempt (successful or not)
        self._warned = False

    def refresh(self, force=False) -> None:
        """Re-read the listing when it is older than REFRESH_SECONDS (or when forced)."""
        now = self._clock.time()
        if not force and self._checked is not None and now - self._checked < REFRESH_SECONDS:
            return
        self._checked = now
        try:
            data = self._client.get(PATH)
        except (AuthenticationError, ApiUnreachable):
            raise  # every collector fails the same way; let the scheduler say it once
        except GenesysApiError as e:
            # Names are a nicety: without them the caller tags with the name its data carries, or the id.
            if not self._warned or not isinstance(e, PermissionDenied):
                self._log.warning('oauth client names unavailable (%s); tagging with ids and names from the data', e)
            self._warned = True
            return
        if not isinstance(data, dict) or not isinstance(data.get('entities'), list):
            self._log.warning('oauth client names unavailable (%s: unexpected answer); tagging with ids', PATH)
            return
        names = {}
        for entity in data['entities']:
            if isinstance(entity, dict) and entity.get('id'):
                names[entity['id']] = entity.get('name') or entity['id']
        self._names = names

    def known(self, client_id) -> bool:
        return client_id in self._names

    def name(self, client_id, fallback=None) -> str:
        return self._names.get(client_id) or fallback or client_id or 'unknown'

    def tags(self, client_id, fallback_name=None) -> list:
        return [tagging.tag('oauth_client_id', client_id), tagging.tag('oauth_client_name',
                                                                     self.name(client_id, fallback_name))]


def oauth_client_names(collector) -> OAuthClientNames:
    """The instance's shared cache (created on first use)."""
    shared = collector.ctx.shared
    if SHARED_KEY not in shared:
        shared[SHARED_KEY] = OAuthClientNames(collector.client, collector.clock, collector.log)
    return shared[SHARED_KEY]
