"""What `check` and `agentless` verify before a run: known collector names, and a config the check accepts."""

import logging

from ..errors import UsageError
from ..fixed_clock import log_times_follow_toolkit_clock


def collector_names():
    from datadog_checks.genesys_cloud.collectors import COLLECTORS

    return [cls.name for cls in COLLECTORS]


def parse_collectors(text):
    """`--collectors a,b` -> ['org', 'a', 'b']; unknown names are an error that lists the valid ones.

    `org` always runs: it is one request, and it supplies the org tags every other metric carries.
    """
    if not text:
        return None
    names = [n.strip() for n in text.split(',') if n.strip()]
    known = collector_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f'unknown collector{"s" if len(unknown) > 1 else ""} {", ".join(repr(n) for n in unknown)} '
            f'in --collectors; valid names: {", ".join(known)}'
        )
    if not names:
        raise UsageError('--collectors needs at least one collector name')
    return ['org'] + [n for n in names if n != 'org'] if 'org' in known else names


def add_config_arguments(parser, required=True, help='Agent-style conf.yaml (init_config + instances)'):
    """-c and how to resolve its ENC[] values: shared by every command that reads a conf.yaml."""
    parser.add_argument('-c', '--config', required=required, help=help)
    parser.add_argument('--secret-backend-command', metavar='PATH',
                        help='executable resolving ENC[] values, as the Agent\'s secret_backend_command '
                             '(default: $DD_SECRET_BACKEND_COMMAND); without one, ENC[] in client_secret is '
                             'taken from $GENESYS_CLOUD_CLIENT_SECRET')


def prepare_run(args):
    """What `check` and `agentless` start with: the log level, `--collectors` and the conf.yaml of `-c`.

    Returns (collectors to run or None, init_config, instances); raises UsageError (a ConfigFileError is one).
    """
    from ..check_runner import load_config

    configure_logging(args.log_level)
    only = parse_collectors(args.collectors)
    init_config, instances = load_config(args.config, args.secret_backend_command)
    return only, init_config, instances


def configure_logging(level_name):
    level = getattr(logging, str(level_name).upper(), None)
    if not isinstance(level, int):
        raise UsageError(f'unknown log level {level_name!r}; use debug, info, warning, error or critical')
    logging.basicConfig(level=level, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    root = logging.getLogger()
    log_times_follow_toolkit_clock(root)
    root.setLevel(level)
    # Under agent_host, datadog_checks.base put the Agent's handler on the root logger: it hands each line to
    # datadog_agent.log (time and level added there). A terminal reader wants the logger, not file:line.
    for handler in root.handlers:
        if type(handler).__name__ == 'AgentLogHandler':
            handler.setFormatter(logging.Formatter('%(name)s: %(message)s'))
    # The Datadog API client logs request bodies at DEBUG, urllib3 logs URLs: keep them quiet unless asked.
    for noisy in ('urllib3', 'datadog_api_client'):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
