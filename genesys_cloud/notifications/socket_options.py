"""A channel socket's proxy and TLS options, read off the check's HTTP settings so the WebSocket goes where the
REST calls go.

datadog-checks-base's RequestsWrapper (`self.http`) has already merged the instance's `proxy`/`skip_proxy`,
init_config's `proxy`, the Agent's proxy (`use_agent_proxy`) and the TLS options (`tls_verify`, `tls_ca_cert`,
`tls_cert`/`tls_private_key`) into `http.options` and `http.no_proxy_uris`; websocket-client takes the same
facts under its own names (`http_proxy_host`, `http_proxy_port`, `http_proxy_auth`, `proxy_type`,
`http_no_proxy`, `sslopt`). Where the wrapper disabled proxies (`skip_proxy`, or a no_proxy match), the
environment's proxy variables must not apply either, as requests ignores them then.
"""

import ssl
from urllib.parse import unquote, urlsplit

from datadog_checks.base.utils.http import should_bypass_proxy

# websocket-client's proxy types; a SOCKS proxy needs python-socks, which the Agent does not ship: the socket then
# fails to connect, and what it covered is polled with can_connect saying why.
PROXY_TYPES = {'http': 'http', 'https': 'http', 'socks4': 'socks4', 'socks4a': 'socks4a', 'socks5': 'socks5',
               'socks5h': 'socks5h'}
DEFAULT_PORTS = {'http': 80, 'https': 443}
# "No proxy, whatever the environment says". websocket-client reads http(s)_proxy from the environment unless it is
# given a proxy host, and checks `http_no_proxy` only when it is (websocket/_http.py proxy_info and
# _url.get_proxy_info, 1.9.0): a placeholder host that no_proxy '*' then excludes is how to say none.
NO_PROXY = {'http_proxy_host': 'no-proxy.invalid', 'http_proxy_port': 1, 'http_no_proxy': ['*'], 'proxy_type': 'http'}


def socket_options(http, connect_uri) -> dict:
    """create_connection() keyword arguments for `connect_uri` under the RequestsWrapper `http`."""
    options = {}
    settings = getattr(http, 'options', None) or {}
    sslopt = _tls(settings)
    if sslopt:
        options['sslopt'] = sslopt
    secure = urlsplit(connect_uri).scheme.lower() == 'wss'
    # The proxy requests would use for the same URL over HTTP(S): the scheme's key, as RequestsWrapper keeps it.
    as_http = ('https' if secure else 'http') + connect_uri[connect_uri.find(':'):]
    proxies = settings.get('proxies')
    no_proxy = getattr(http, 'no_proxy_uris', None)
    if proxies is None:
        return options  # no proxy configured anywhere: the environment's, as requests would
    proxy = proxies.get('https' if secure else 'http')
    if proxy is None:
        return options
    if not proxy or (no_proxy and should_bypass_proxy(as_http, no_proxy)):
        options.update(NO_PROXY)
        return options
    parts = urlsplit(proxy if '://' in proxy else 'http://' + proxy)
    scheme = parts.scheme.lower()
    options['proxy_type'] = PROXY_TYPES.get(scheme, scheme)
    options['http_proxy_host'] = parts.hostname
    options['http_proxy_port'] = parts.port or DEFAULT_PORTS.get(scheme, 1080)
    if parts.username is not None:
        options['http_proxy_auth'] = (unquote(parts.username), unquote(parts.password or ''))
    return options


def _tls(settings) -> dict:
    sslopt = {}
    verify = settings.get('verify', True)
    if verify is False:
        sslopt.update(cert_reqs=ssl.CERT_NONE, check_hostname=False)
    elif isinstance(verify, str) and verify:
        sslopt['ca_certs'] = verify
    cert = settings.get('cert')
    if isinstance(cert, str) and cert:
        sslopt['certfile'] = cert
    elif isinstance(cert, (tuple, list)) and cert:
        sslopt['certfile'] = cert[0]
        if len(cert) > 1 and cert[1]:
            sslopt['keyfile'] = cert[1]
    return sslopt
