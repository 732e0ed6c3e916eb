"""`make bench` (second part): what the companion module costs an integration per API request, printed as
figures (never asserted).

1. Instrumentation alone, on the caller's thread: the SDK's HTTP client wrapped by the companion around an
   inner client that answers at once, against the same inner client unwrapped; likewise `observe()` itself
   (template lookup, tags, queueing). The difference is the overhead per request, median and p99 in
   microseconds. DogStatsD lines go to a real UDP listener on loopback, sent by the companion's flusher thread.
   The same `observe()` with the official `datadog` package's DogStatsd as the sender (buffered, with its
   background sender; and with its client-side aggregation on) is measured beside it, when that package is
   installed: the figures behind the choice of sender (docs/companion.md).
2. End to end: the official SDK against the local emulator (real HTTP on loopback), uninstrumented and then
   instrumented, median and p99 per request in microseconds, for scale (a real Genesys round trip is ~50-300 ms).

Usage: python benchmarks/bench_velocity.py [--requests 20000] [--http-requests 1500]
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (ROOT, os.path.join(ROOT, 'toolkit'), os.path.join(ROOT, 'companion')):
    if path not in sys.path:
        sys.path.insert(0, path)


def percentiles(samples_ns):
    ordered = sorted(samples_ns)
    return statistics.median(ordered) / 1000, ordered[int(len(ordered) * 0.99) - 1] / 1000


def timed(call, n):
    samples = []
    clock = time.perf_counter_ns
    for i in range(n):
        start = clock()
        call(i)
        samples.append(clock() - start)
    return samples


def row(label, base, instrumented):
    (bm, bp), (im, ip) = percentiles(base), percentiles(instrumented)
    print(f'  {label:<50} {bm:>10.2f} {bp:>10.2f} {im:>12.2f} {ip:>12.2f} {im - bm:>10.2f} {ip - bp:>10.2f}')


def header():
    print(f'  {"":<50} {"base med":>10} {"base p99":>10} {"instr. med":>12} {"instr. p99":>12} '
          f'{"+ median":>10} {"+ p99":>10}')


def instrumentation_only(listener, n):
    import genesys_cloud_velocity
    import PureCloudPlatformClientV2 as sdk
    from genesys_cloud_velocity.core import Velocity
    from genesys_cloud_velocity.statsd import sender_for
    from PureCloudPlatformClientV2.abstract_http_client import AbstractHttpClient
    from PureCloudPlatformClientV2.http_request_options import HttpRequestOptions

    class Answer:
        status = 200

        def getheaders(self):
            return {}

    class Immediate(AbstractHttpClient):  # the network removed, so only the instrumentation is measured
        answer = Answer()

        def request(self, options):
            return self.answer

    ids = [f'{i:08x}-aaaa-4bbb-8ccc-{i:012x}' for i in range(n)]
    options = [HttpRequestOptions(url=f'https://api.mypurecloud.com/api/v2/users/{ids[i]}/routingstatus?x=1',
                                  method='GET', headers={}) for i in range(n)]
    base_client = Immediate()
    api = sdk.ApiClient(host='https://api.mypurecloud.com')
    api.set_http_client(Immediate())
    genesys_cloud_velocity.instrument(api, client_id='bench-client', name='bench', host=listener.host,
                                      port=listener.port)
    wrapped = api.get_http_client()
    base = timed(lambda i: base_client.request(options[i]), n)
    instrumented = timed(lambda i: wrapped.request(options[i]), n)
    print(f'Instrumentation alone, {n} requests each (microseconds per request):')
    header()
    row('SDK HttpClient.request (new id every call)', base, instrumented)
    velocity = Velocity(client_id='bench-client', name='bench', sender=sender_for(listener.host, listener.port))
    urls = [o.url for o in options]
    noop = timed(lambda i: None, n)
    observe = timed(lambda i: velocity.observe('GET', urls[i], 200, 0.05), n)
    row('observe() alone, own sender (vs an empty call)', noop, observe)
    velocity.flush()
    wrapped.velocity.flush()
    for label, statsd in dogstatsd_clients(listener):
        other = dogstatsd_velocity(Velocity, statsd)(client_id='bench-client', name='bench',
                                                     sender=sender_for(listener.host, listener.port))
        samples = timed(lambda i, other=other: other.observe('GET', urls[i], 200, 0.05), n)
        row(label, noop, samples)
        statsd.flush()
        if hasattr(statsd, 'flush_aggregated_metrics'):
            statsd.flush_aggregated_metrics()
        statsd.close_socket()
    return velocity


def dogstatsd_clients(listener):
    """The `datadog` package's DogStatsd set up as an integration would for a hot path: buffered, sending from its
    own background thread; then also aggregating counts client-side. Nothing when the package is absent."""
    try:
        from datadog.dogstatsd import DogStatsd
    except ImportError:
        print('  (datadog package not installed: DogStatsd not measured)')
        return
    for label, options in (('observe(), datadog DogStatsd buffered+bg sender', {}),
                           ('observe(), datadog DogStatsd + aggregation', {'disable_aggregation': False})):
        statsd = DogStatsd(host=listener.host, port=listener.port, disable_buffering=False, disable_telemetry=True,
                           **options)
        statsd.enable_background_sender()
        yield label, statsd


def dogstatsd_velocity(velocity_class, statsd):
    """The companion's recorder with DogStatsd sending: same template lookup and tag cache, then the package's
    increment()/distribution() calls (which format and buffer each metric on the caller's thread)."""
    from genesys_cloud_velocity.core import LATENCY, RATE_LIMITED, REQUESTS

    class DogStatsdVelocity(velocity_class):
        def _observe(self, method, url, status, seconds, headers, template):
            template = self.normaliser.template(url, template)
            key = (template, method, status, self.client_id, self.name)
            tags = self._tag_cache.get(key)
            if tags is None:
                tags = self._tag_cache[key] = self._tags(template, method, status).split(',')
            statsd.increment(REQUESTS, tags=tags)
            if seconds is not None:
                statsd.distribution(LATENCY, seconds, tags=tags)
            if status == 429:
                statsd.increment(RATE_LIMITED, tags=tags)

    return DogStatsdVelocity


def end_to_end(listener, n):
    import genesys_cloud_velocity
    import PureCloudPlatformClientV2 as sdk
    from datadog_checks.genesys_cloud.clock import FakeClock

    from genesys_cloud_dd.emulator import Emulator, OrgOptions

    clock = FakeClock()
    # The emulator's per-token limit is lifted: this measures latency, not rate limiting.
    with Emulator(OrgOptions(seed=1, users=50, queues=3), clock=clock, rate_limit_per_minute=0) as emulator:
        clients = {}
        for label, instrument in (('uninstrumented', False), ('instrumented', True)):
            api = sdk.ApiClient(host=emulator.url)
            if instrument:
                genesys_cloud_velocity.instrument(api, name='bench', host=listener.host, port=listener.port)
            api.get_client_credentials_token(emulator.client_id, emulator.client_secret)
            clients[label] = sdk.UsersApi(api)
        user_ids = [u.id for u in emulator.org.users]
        samples = {label: [] for label in clients}
        for _ in range(10):  # interleaved blocks, so drift on a shared machine hits both alike
            for label, users in clients.items():
                call = users.get_user_routingstatus
                samples[label] += timed(lambda i, call=call: call(user_ids[i % len(user_ids)]), n // 10)
        print(f'\nEnd to end, official SDK against the local emulator over loopback HTTP, {n} requests each '
              f'(microseconds per request):')
        header()
        row('GET /api/v2/users/{userId}/routingstatus', samples['uninstrumented'], samples['instrumented'])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=20000)
    parser.add_argument('--http-requests', type=int, default=1500)
    args = parser.parse_args(argv)
    from genesys_cloud_dd.dogstatsd import DogStatsdListener

    print(f'Companion module (genesys_cloud_velocity) overhead, Python {sys.version.split()[0]}')
    with DogStatsdListener() as listener:
        velocity = instrumentation_only(listener, args.requests)
        end_to_end(listener, args.http_requests)
        time.sleep(0.5)
        print(f'\nDogStatsD: {len(listener.datagrams)} datagrams, {len(listener.metrics)} metric lines received on '
              f'127.0.0.1:{listener.port}; lines dropped by the companion\'s sender: {velocity.sender.dropped}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
