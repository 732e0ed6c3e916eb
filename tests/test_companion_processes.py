"""The companion in real customer processes: a gunicorn app with 4 prefork workers and a multiprocessing pool,
instrumented before they fork and driven against the emulator, each process's datagrams told apart by their source
port on a real UDP listener; and an Agent host that does not resolve or whose DNS never answers (a local DNS server
that reads queries and never replies, the resolver pointed at it in a private mount namespace: nothing in the
companion is patched), with the flush and exit times printed (never asserted)."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import requests

from genesys_cloud_dd.dogstatsd import parse_line

ROOT = Path(__file__).resolve().parent.parent
HANG_GUARD = 120  # seconds: only to end a hung process, never a timing assertion
REQUESTS = 'genesys_cloud.velocity.requests'
ROUTING_STATUS = '/api/v2/users/{userId}/routingstatus'


class SourceListener:
    """A DogStatsD listener on loopback that remembers which source port (which process's socket) sent what."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
        self.socket.bind(('127.0.0.1', 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.by_port = defaultdict(list)
        self.malformed = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, (_, port) = self.socket.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            for line in data.decode('utf-8', 'replace').split('\n'):
                metric = parse_line(line)
                (self.by_port[port] if metric else self.malformed).append(metric or line)

    def close(self):
        self._stop.set()
        self._thread.join()
        self.socket.close()

    def requests_by_port(self):
        """{source port: Counter(template -> requests)}"""
        counts = {}
        for port, metrics in self.by_port.items():
            counter = Counter()
            for m in metrics:
                if m['name'] == REQUESTS:
                    tags = dict(t.split(':', 1) for t in m['tags'])
                    counter[tags['template_uri']] += int(m['value'])
            counts[port] = counter
        return counts


@pytest.fixture
def source_listener():
    listener = SourceListener()
    yield listener
    listener.close()


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('DD_')}
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT / 'companion'), env.get('PYTHONPATH', '')])
    env.update({k: str(v) for k, v in extra.items()})
    return env


PRELUDE = '''
import os
import genesys_cloud_velocity
import PureCloudPlatformClientV2 as sdk

api = sdk.ApiClient(host=os.environ['EMULATOR_URL'])
velocity = genesys_cloud_velocity.instrument(api, name=os.environ['APP_NAME'])
api.get_client_credentials_token(os.environ['EMULATOR_CLIENT_ID'], os.environ['EMULATOR_CLIENT_SECRET'])
users = sdk.UsersApi(api)
for _ in range(3):  # the parent's own requests: still queued, or being sent, when it forks
    users.get_users(page_size=1)
# The app's own hygiene before forking: no HTTP connection shared by the children.
api.get_http_client().inner.rest_client.pool_manager.clear()
'''

GUNICORN_APP = PRELUDE + '''
served = 0


def app(environ, start_response):
    global served
    if environ['PATH_INFO'] != '/ready':
        users.get_user_routingstatus(environ['PATH_INFO'].strip('/'))
        served += 1
    body = f'{os.getpid()} {served}'.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
'''

POOL_SCRIPT = PRELUDE + '''
import json
import multiprocessing
import sys
from collections import Counter


def work(user_id):
    users.get_user_routingstatus(user_id)
    return os.getpid()


if __name__ == '__main__':
    pool = multiprocessing.get_context('fork').Pool(4)
    pids = pool.map(work, json.loads(os.environ['USER_IDS']), chunksize=3)
    pool.close()
    pool.join()  # the workers end normally: each flushes its own lines on the way out
    print(json.dumps(Counter(pids)))
'''


def _emulator_env(emulator, listener, name):
    return _env(EMULATOR_URL=emulator.url, EMULATOR_CLIENT_ID=emulator.client_id,
                EMULATOR_CLIENT_SECRET=emulator.client_secret, APP_NAME=name, DD_AGENT_HOST='127.0.0.1',
                DD_DOGSTATSD_PORT=listener.port)


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def _assert_parent_once_and_workers_exact(listener, served_by_worker, parent_name):
    by_port = listener.requests_by_port()
    parents = [port for port, counts in by_port.items() if counts['/oauth/token'] or counts['/api/v2/users']]
    assert len(parents) == 1, by_port  # the parent's lines came from the parent only: never re-sent by a child
    assert by_port.pop(parents[0]) == Counter({'/oauth/token': 1, '/api/v2/users': 3})
    assert all(set(counts) == {ROUTING_STATUS} for counts in by_port.values()), by_port
    # One socket per worker, and each worker's count exactly what it served.
    assert sorted(c[ROUTING_STATUS] for c in by_port.values()) == sorted(served_by_worker.values())
    assert listener.malformed == []


def test_gunicorn_prefork_workers_each_report_their_own_requests_exactly_once(emulator, source_listener, tmp_path):
    (tmp_path / 'velocity_app.py').write_text(GUNICORN_APP)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, '-m', 'gunicorn', '--workers', '4', '--preload', '--bind', f'127.0.0.1:{port}',
         '--chdir', str(tmp_path), '--graceful-timeout', '30', '--log-level', 'warning', 'velocity_app:app'],
        env=_emulator_env(emulator, source_listener, 'gunicorn-app'), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            try:
                requests.get(f'http://127.0.0.1:{port}/ready', timeout=5).raise_for_status()
                break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()
                time.sleep(0.2)
        served = {}
        user_ids = [u.id for u in emulator.org.users]
        for i in range(200):
            pid, count = requests.get(f'http://127.0.0.1:{port}/{user_ids[i % len(user_ids)]}',
                                      timeout=30).text.split()
            served[pid] = max(served.get(pid, 0), int(count))
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: each worker and then the master run their exit flush
        out, err = server.communicate(timeout=HANG_GUARD)
    assert server.returncode == 0, err
    assert sum(served.values()) == 200 and 1 <= len(served) <= 4
    time.sleep(0.5)  # the last datagrams are on loopback already; let the listener read them
    _assert_parent_once_and_workers_exact(source_listener, served, 'gunicorn-app')
    assert 'Traceback' not in err, err


def test_multiprocessing_pool_workers_each_report_their_own_requests_exactly_once(emulator, source_listener,
                                                                                     tmp_path):
    script = tmp_path / 'pool_app.py'
    script.write_text(POOL_SCRIPT)
    user_ids = [u.id for u in emulator.org.users] * 4  # under the emulator's 300 a minute per token
    env = _emulator_env(emulator, source_listener, 'pool-app')
    env['USER_IDS'] = json.dumps(user_ids)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=HANG_GUARD)
    assert run.returncode == 0, run.stderr
    served = json.loads(run.stdout)
    assert sum(served.values()) == len(user_ids)
    time.sleep(0.5)  # the last datagrams are on loopback already; let the listener read them
    _assert_parent_once_and_workers_exact(source_listener, served, 'pool-app')


SILENT_DNS = '''
import socket, sys, threading
address = sys.argv[1]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((address, 53))
tcp = socket.socket()
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((address, 53))
tcp.listen(16)
held = []
threading.Thread(target=lambda: [held.append(tcp.accept()) for _ in iter(int, 1)], daemon=True).start()
print('ready', flush=True)
while True:
    udp.recv(4096)  # read every query, answer none
'''

AGENT_UNREACHABLE = '''
import json, os, sys, time
import genesys_cloud_velocity
from genesys_cloud_velocity.core import Velocity

started = time.monotonic()
velocity = Velocity(client_id='c', name='dns')  # the Agent's address from DD_AGENT_HOST, as in production
for _ in range(200):
    velocity.observe('GET', 'https://api.mypurecloud.com/api/v2/users/me', 200, 0.01)
t = time.monotonic()
sent = genesys_cloud_velocity.flush()
flush_seconds = time.monotonic() - t
children = []
for _ in range(5):  # fork while the sender may be waiting for the resolver
    pid = os.fork()
    if pid == 0:
        for _ in range(10):
            velocity.observe('GET', 'https://api.mypurecloud.com/api/v2/users/me', 200, 0.01)
        child_sent = genesys_cloud_velocity.flush(timeout=0.2)
        os._exit(0 if child_sent is False else 3)
    children.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
print(json.dumps({'sent': sent, 'flush_seconds': flush_seconds, 'children': codes,
                  'before_exit': time.monotonic() - started}), flush=True)
'''


def _run_unreachable(command, env, tmp_path):
    script = tmp_path / 'agent_unreachable.py'
    script.write_text(AGENT_UNREACHABLE)
    started = time.monotonic()
    run = subprocess.run(command + [sys.executable, str(script)], capture_output=True, text=True, env=env,
                         timeout=HANG_GUARD)
    total = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    print(f'flush() returned after {result["flush_seconds"]:.2f} s; process exited {total:.2f} s after it started '
          f'({max(0.0, total - result["before_exit"]):.2f} s after its last line, exit flush and interpreter '
          f'shutdown included)')
    return result, run.stderr


def test_an_unresolvable_agent_host_costs_the_integration_nothing_and_drops_are_reported(tmp_path):
    env = _env(DD_AGENT_HOST='dd-agent.invalid', DD_DOGSTATSD_PORT=8125)  # .invalid never resolves (RFC 6761)
    result, stderr = _run_unreachable([], env, tmp_path)
    assert result['sent'] is False and result['children'] == [0] * 5  # every forked child went on and exited
    assert 'DogStatsD lines not sent in this process: 400 to dd-agent.invalid:8125' in stderr, stderr


@pytest.fixture
def silent_dns(tmp_path):
    """A resolver configuration naming a local DNS server that never answers, for a private mount namespace."""
    address = f'127.53.{random.randint(1, 254)}.{random.randint(1, 254)}'
    server = subprocess.Popen([sys.executable, '-c', SILENT_DNS, address], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        if server.stdout.readline().strip() != 'ready':
            pytest.skip(f'cannot serve DNS on {address}:53: {server.communicate(timeout=10)[1][-300:]}')
        resolv = tmp_path / 'resolv.conf'
        resolv.write_text(f'nameserver {address}\noptions timeout:30 attempts:5\n')  # minutes per lookup
        command = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                   f'mount --bind {resolv} /etc/resolv.conf && exec "$@"', 'sh']
        probe = subprocess.run(command + ['true'], capture_output=True, text=True, timeout=30)
        if probe.returncode != 0:
            pytest.skip(f'no private mount namespace here: {probe.stderr.strip()[-300:]}')
        yield command
    finally:
        server.kill()
        server.wait()


def test_an_agent_host_whose_dns_never_answers_bounds_flush_exit_and_forks(tmp_path, silent_dns):
    env = _env(DD_AGENT_HOST='dd-agent.corp.example', DD_DOGSTATSD_PORT=8125)
    result, stderr = _run_unreachable(silent_dns, env, tmp_path)
    assert result['sent'] is False  # flush() gave up at its bound instead of waiting for the resolver
    assert result['children'] == [0] * 5  # no child inherited a lock held by a thread stuck in DNS
    assert ('DogStatsD lines not sent in this process: 400 to dd-agent.corp.example:8125 (400 still queued at exit)'
            in stderr), stderr
