"""A real HTTP forward proxy on loopback for tests: absolute-form requests are relayed (as a client sends plain
HTTP to a proxy), and `CONNECT host:port` opens a tunnel (as a WebSocket or HTTPS client does). It records what
it relayed and tunnelled, so a test can tell which traffic took the proxy.
"""

import http.client
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PROXY_ENV = ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY')


def clear_proxy_env(monkeypatch):
    """No proxy environment variable, in either case, for the rest of the test."""
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer',
              'transfer-encoding', 'upgrade'}


class ForwardProxy:
    """Relays `GET http://host:port/path` to host:port and records (method, url); tunnels CONNECT and records
    the `host:port` with the Proxy-Authorization it came with (None without)."""

    def __init__(self):
        self.relayed = []
        self.refused = []
        self.tunnels = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _relay(self):
                target = urlsplit(self.path)
                if target.scheme != 'http' or not target.netloc:  # not a proxy request: a direct one
                    proxy.refused.append(self.path)
                    self.send_error(400, 'this is a proxy: absolute URLs only')
                    return
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {'host'}}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                path = target.path + (f'?{target.query}' if target.query else '')
                upstream.request(self.command, path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                proxy.relayed.append((self.command, self.path))
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP | {'content-length'}:
                        self.send_header(key, value)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _relay

            def do_CONNECT(self):
                host, _, port = self.path.rpartition(':')
                try:
                    upstream = socket.create_connection((host, int(port)), timeout=30)
                except (OSError, ValueError):
                    self.send_error(502, 'cannot reach ' + self.path)
                    return
                proxy.tunnels.append((self.path, self.headers.get('Proxy-Authorization')))
                self.send_response(200, 'Connection established')
                self.end_headers()
                self.wfile.flush()
                _pipe(self.connection, upstream)
                self.close_connection = True


        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _pipe(client, upstream):
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 60)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
    except OSError:
        return
    finally:
        upstream.close()
