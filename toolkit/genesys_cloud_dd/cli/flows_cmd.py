"""`genesys-cloud-dd flows`: the flow instrumentation kit (render, deploy, send-test). See docs/flows.md."""

import argparse
import os
import sys


def add_parser(subparsers):
    parser = subparsers.add_parser('flows', help='Architect flow instrumentation kit: post flow failures to Datadog',
                                   description='Render, deploy and test the Data Actions that let Architect flows '
                                               'post their failures straight to Datadog (docs/flows.md).')
    commands = parser.add_subparsers(dest='flows_command', metavar='SUBCOMMAND')

    render = commands.add_parser('render', help='write architect_snippets/ from the event schema',
                                 description='Write the Data Action exports and Archy snippets under --out '
                                             '(default: the current directory), or check a copy of them.')
    render.add_argument('--out', help='directory to write architect_snippets/ into (default: the current '
                                      'directory; a project directory with docs/flows.md gets its schema table too)')
    render.add_argument('--check', action='store_true',
                        help='exit 1 when the snippets under --root differ from the schema')
    render.add_argument('--root', help='with --check: the project directory to compare (default: the snippets '
                                       'this toolkit carries)')
    render.add_argument('--literal-site', metavar='SITE',
                        help='write a variant with the Datadog host written literally (no ddSite credential '
                             'field) into --out')
    render.set_defaults(func=run_render)

    deploy = commands.add_parser('deploy', help='create/update the integration, credential and Data Actions')
    deploy.add_argument('--region', help='Genesys Cloud region (domain like mypurecloud.ie or key like eu_west_1)')
    deploy.add_argument('--api-url', help='API base URL (overrides --region; e.g. an emulator)')
    deploy.add_argument('--login-url', help='login base URL (overrides --region)')
    deploy.add_argument('--client-id', default=os.environ.get('GENESYS_CLOUD_CLIENT_ID'),
                        help='OAuth client id (client credentials grant; env GENESYS_CLOUD_CLIENT_ID)')
    deploy.add_argument('--client-secret', default=None,
                        help='OAuth client secret (prefer env GENESYS_CLOUD_CLIENT_SECRET)')
    _datadog_args(deploy)
    deploy.add_argument('--literal-site', action='store_true',
                        help='write the Datadog host literally in the actions instead of ${credentials.ddSite}')
    deploy.add_argument('--dd-url', help=argparse.SUPPRESS)  # tests: send every action to one base URL
    deploy.add_argument('--no-test', action='store_true', help='skip the test execution of each action')
    deploy.add_argument('--dry-run', action='store_true', help='print what would change, change nothing')
    deploy.set_defaults(func=run_deploy)

    send = commands.add_parser('send-test', help='post sample flow events straight to Datadog')
    _datadog_args(send)
    send.add_argument('--dd-url', default=os.environ.get('DD_DD_URL') or None,
                      help='send to this base URL instead of the site hosts, e.g. a proxy or a local intake '
                           '(default: $DD_DD_URL)')
    send.add_argument('--event-type', action='append', dest='event_types', metavar='TYPE',
                      help='event type to sample (repeatable; default data_action.failure; "all" for every type)')
    send.set_defaults(func=run_send_test)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser):
    parser.print_help()
    return 2


def _datadog_args(parser):
    parser.add_argument('--dd-api-key', default=None, help='Datadog API key (prefer env DD_API_KEY)')
    parser.add_argument('--dd-site', default=os.environ.get('DD_SITE'),
                        help='Datadog site, e.g. datadoghq.eu (env DD_SITE; default datadoghq.com)')


def _err(message):
    print(message, file=sys.stderr)


def _site(args):
    from ..flows import schema

    site = (args.dd_site or schema.DEFAULT_SITE).strip().lower()
    for prefix in ('https://', 'http://', 'app.', 'api.'):
        if site.startswith(prefix):
            site = site[len(prefix):]
    site = site.rstrip('/')
    if site not in schema.SITES:
        _err(f'warning: {site!r} is not a known Datadog site ({", ".join(schema.SITES)}); using it anyway')
    return site


def _api_key(args):
    key = args.dd_api_key or os.environ.get('DD_API_KEY')
    if not key:
        _err('error: a Datadog API key is required (--dd-api-key or env DD_API_KEY)')
    return key


def run_render(args) -> int:
    from ..flows import render
    from ..flows.templates import SiteMode

    if args.literal_site:
        if not args.out:
            _err('error: --literal-site needs --out DIR (the committed snippets stay site-independent)')
            return 2
        for path in render.write(site_mode=SiteMode.literal(args.literal_site), out_dir=args.out):
            print(f'wrote {path}')
        return 0
    if args.check:
        root = args.root or render.project_root()
        drift = render.check(root)
        if drift:
            print(f'Generated flow kit files under {root} differ from the schema (run `genesys-cloud-dd flows '
                  'render`):')
            for path in drift:
                print(f'  {path}')
            return 1
        print(f'{os.path.join(root, render.SNIPPETS_DIR)} matches the schema')
        return 0
    out = os.path.abspath(args.out or args.root or os.getcwd())
    written = render.write(out)
    for path in written:
        print(f'wrote {os.path.join(out, path)}')
    if not written:
        print(f'{os.path.join(out, render.SNIPPETS_DIR)} already up to date')
    return 0


def run_deploy(args) -> int:
    from datadog_checks.genesys_cloud.client import GenesysApiError

    from ..flows.deploy import FlowDeployer, mask
    from ..flows.templates import SiteMode

    api_key = _api_key(args)
    client_id = args.client_id
    client_secret = args.client_secret or os.environ.get('GENESYS_CLOUD_CLIENT_SECRET')
    if not api_key:
        return 2
    if not client_id or not client_secret:
        _err('error: Genesys OAuth client id and secret are required (--client-id/--client-secret or env '
             'GENESYS_CLOUD_CLIENT_ID/GENESYS_CLOUD_CLIENT_SECRET)')
        return 2
    api_url, login_url = args.api_url, args.login_url
    if not api_url or not login_url:
        from datadog_checks.genesys_cloud import regions

        try:
            domain = regions.resolve_domain(args.region)
        except regions.UnknownRegion as exc:
            _err(f'error: {exc}')
            return 2
        api_url = api_url or regions.api_url(domain)
        login_url = login_url or regions.login_url(domain)
    site = _site(args)
    if args.dd_url:
        site_mode = SiteMode.base_url(args.dd_url)
    elif args.literal_site:
        site_mode = SiteMode.literal(site)
    else:
        site_mode = SiteMode.credential()
    print(f'Genesys Cloud API {api_url} (client {client_id}, secret {mask(client_secret)}); Datadog site {site}')
    from datadog_checks.base import ConfigurationError

    from ..genesys import client_for

    try:  # the check's HTTP (proxy environment variables, timeouts) and its config validation
        client = client_for({'client_id': client_id, 'client_secret': client_secret, 'api_url': api_url,
                             'login_url': login_url})
    except ConfigurationError as exc:
        _err(f'error: invalid configuration: {str(exc).replace(client_secret, mask(client_secret))}')
        return 2
    try:
        result = FlowDeployer(client, api_key, site=site, site_mode=site_mode, dry_run=args.dry_run,
                              run_test=not args.no_test).deploy()
    except GenesysApiError as exc:
        _err(f'error: {str(exc).replace(api_key, mask(api_key)).replace(client_secret, mask(client_secret))}')
        return 1
    except ValueError as exc:
        _err(f'error: {exc}')
        return 1
    changed = len(result.changed)
    verb = 'would change' if args.dry_run else 'changed'
    print(f'{changed} item(s) {verb}.' if changed else 'Nothing to change: the org is up to date.')
    if result.tests and not result.tests_passed:
        _err('error: the test execution of at least one action failed (see above)')
        return 1
    return 0


def run_send_test(args) -> int:
    from ..flows import schema
    from ..flows.sendtest import SEND_TEST_EVENT_TYPES, send_test

    api_key = _api_key(args)
    if not api_key:
        return 2
    event_types = args.event_types or list(SEND_TEST_EVENT_TYPES)
    if 'all' in event_types:
        event_types = [e.name for e in schema.EVENT_TYPES]
    unknown = [e for e in event_types if e not in schema.EVENT_TYPES_BY_NAME]
    if unknown:
        _err(f'error: unknown event type(s) {", ".join(unknown)}; known: {", ".join(schema.EVENT_TYPES_BY_NAME)}')
        return 2
    try:
        failures = send_test(api_key, site=_site(args), dd_url=args.dd_url, event_types=event_types)
    except ImportError as exc:
        _err(f'error: send-test needs datadog-api-client and airspeed (dependencies of genesys-cloud-dd; '
             f'reinstall it): {exc}')
        return 2
    return 1 if failures else 0
