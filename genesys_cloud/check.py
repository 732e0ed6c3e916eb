"""The Datadog Agent check: reads the config, builds the API client and runs the collectors."""

import hashlib

from datadog_checks.base import AgentCheck
from datadog_checks.base.utils.secrets import SecretsSanitizer

from . import tagging
from .__about__ import __version__  # noqa: F401  (read by AgentCheck.check_version)
from .client import GenesysClient
from .clock import Clock
from .collectors import COLLECTORS, CollectorContext
from .collectors.notifications import NotificationsCollector
from .config_models import ConfigMixin
from .health import HealthReporter
from .notifications import NotificationHub
from .notifications.socket_options import socket_options
from .scheduler import Scheduler
from .settings import Settings, load_config_model
from .state import StateStore
from .typos import unknown_options


class GenesysCloudCheck(AgentCheck, ConfigMixin):
    __NAMESPACE__ = 'genesys_cloud'

    def __init__(self, name, init_config, instances, clock=None, state=None):
        super().__init__(name, init_config, instances)
        self.clock = clock or Clock()
        self._state = state  # the Agent-less runner passes a directory-backed store
        self.client = None
        self.scheduler = None
        self.collectors = ()
        self.base_tags = []
        self._tokens = ()  # the current and previous bearer tokens, scrubbed by sanitize()
        self.notifications = None  # NotificationHub when the `notifications` option is on
        self._health = HealthReporter(self)
        self.check_initializations.append(self._initialize)

    def load_configuration_models(self, package_path=None):
        # The base class derives the path from the first two module parts, which is wrong for a top-level
        # `genesys_cloud` package (it would look for `genesys_cloud.check.config_models` and silently skip
        # validation); __package__ is right under both import names.
        super().load_configuration_models(package_path or f'{__package__}.config_models')

    @staticmethod
    def load_configuration_model(import_path, model_name, config, context):
        return load_config_model(import_path, model_name, config, context)

    def log_typos_in_options(self, user_config, models_config, level):
        # The base class logs likely typos of top-level options only, and to the log alone. Every unknown option,
        # collector sections included, becomes one warning (once: initialization succeeds once), which the Agent
        # status page and `genesys-cloud-dd check` both show.
        if level != 'instances' or models_config is None:
            return super().log_typos_in_options(user_config, models_config, level)
        unknown = unknown_options(user_config, type(models_config))
        for option, nearest in unknown:
            hint = f'did you mean `{nearest}`?' if nearest else 'see conf.yaml.example for the valid options'
            self.warning('unknown option `%s` is ignored; %s', option, hint)
        return {option for option, _ in unknown}

    def persistent_cache_id(self) -> str:
        # The base class keys the persistent cache by a digest of the whole instance config, so editing a tag or
        # an interval, or rotating the secret, would throw away counted windows, pending jobs and the billing
        # period's peak. Only what identifies the org starts state afresh: the OAuth client and where it lives.
        settings = Settings.from_config(self.config)
        identity = f'{settings.client_id}\n{settings.api_url}'
        return hashlib.sha256(identity.encode('utf-8')).hexdigest()[:16]

    def genesys_client(self) -> GenesysClient:
        """A client for this instance: HTTP through `self.http` (the instance's and init_config's proxy, TLS and
        timeout options, through datadog-checks-base's RequestsWrapper), paced to max_requests_per_minute, the
        secret and tokens scrubbed. The check's own, and the one every toolkit command that talks to Genesys
        uses, so `report` reaches Genesys through the same proxy as `check`. Raises ConfigurationError."""
        self.load_configuration_models()
        settings = Settings.from_config(self.config)
        self.register_secret(settings.client_secret)
        for url in settings.insecure_urls:
            self.warning('%s is plain http (allow_insecure_http: true): the client secret and bearer tokens cross '
                         'the network in clear text', url)
        return GenesysClient(
            self.http,
            settings.api_url,
            settings.login_url,
            settings.client_id,
            settings.client_secret,
            clock=self.clock,
            log=self.log,
            max_requests_per_minute=settings.max_requests_per_minute,
            on_token=self._token_issued,
        )

    def _initialize(self):
        settings = Settings.from_config(self.config)
        self.client = self.genesys_client()
        self.base_tags = [tagging.tag('region', settings.domain)] + list(self.config.tags or ())
        state = self._state or StateStore.for_check(self)
        state.on_bad_value(self.warning)
        context = CollectorContext(
            check=self,
            client=self.client,
            state=state,
            clock=self.clock,
            config=self.config,
            base_tags=self.base_tags,
        )
        self.collectors = [cls(context) for cls in COLLECTORS]
        if self.config.notifications is not False:
            # Its socket threads start once the first run has created the channels (no request during init).
            # The sockets take the proxy and TLS settings the REST calls take (self.http).
            self.notifications = NotificationHub(self.log, connect_options=lambda uri: socket_options(self.http, uri))
            self.collectors.insert(1, NotificationsCollector(context, self.notifications))  # right after org
        self.scheduler = Scheduler(self, self.collectors, self.clock, state=state)

    def _token_issued(self, token):
        # A token lives a day; registering each with register_secret would grow the base class's list for ever.
        # Only the current and the previous one can still appear in a message, so sanitize() scrubs those two.
        self._tokens = (*self._tokens, token)[-2:]

    def sanitize(self, text):
        # register_secret(client_secret) has set up the log's sanitization with this method.
        text = super().sanitize(text)
        for token in self._tokens:
            text = text.replace(token, SecretsSanitizer.REDACTED)
        return text

    def warning(self, warning_message, *args, **kwargs):
        # The base class keeps warnings (shown by the Agent status page and the CLI) unscrubbed; an API error that
        # echoes the Authorization header must not put the bearer token there.
        text = str(warning_message) % args if args else str(warning_message)
        super().warning(self.sanitize(text))

    def check(self, _, only=None):
        interval = self.config.min_collection_interval
        self.client.begin_run(time_budget=max(10.0, interval * 0.75))
        if self.notifications is not None and self.notifications.active:
            self.notifications.sync()  # what the sockets had delivered by now is read by this run
        self.scheduler.run(only=only)
        self._health.report(self.scheduler, self.client, self.base_tags)

    def cancel(self):
        # The Agent unschedules the instance: its socket threads must not outlive it.
        if self.notifications is not None:
            self.notifications.stop()
