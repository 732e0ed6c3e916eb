"""Route registry: handlers declare the real method, path template, permissions and SDK model.

Route modules in `emulator/routes/` are imported by `load_routes()`, so adding an endpoint is one new
file that calls `@route(...)`; nothing in the core needs to change.
"""

import importlib
import pkgutil
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .errors import ApiError  # noqa: F401  (re-exported: route modules import it from here)


@dataclass
class Response:
    """An explicit response when a handler needs a status or headers other than 200."""

    status: int
    body: Any = None
    headers: dict = field(default_factory=dict)


@dataclass
class Sample:
    """A request the fidelity test sends to a route; the answer must fit the route's sdk_model.

    `polls` repeats the request (every answer is checked), so job-status routes show both the running
    and the finished shape.
    """

    path_params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    json: Any = None
    polls: int = 1


@dataclass
class Request:
    method: str
    path: str
    template: str
    path_params: dict
    query: dict  # first value per key
    query_all: dict  # every value per key, as lists
    headers: Any
    json: Any  # parsed JSON body (None when empty or form-encoded)
    body: bytes
    org: Any
    clock: Any
    emulator: Any
    token: Any = None
    route: Any = None
    correlation_id: str = ''
    job_fault: Optional[str] = None  # 'stuck' or 'failed' when a fault targets this request


@dataclass
class Route:
    method: str
    template: str
    handler: Callable
    permissions: tuple = ()
    sdk_model: Optional[str] = None
    samples: Any = None
    auth: bool = True
    module: str = ''
    pattern: Any = None

    @property
    def key(self) -> str:
        return f'{self.method} {self.template}'

    @property
    def param_names(self):
        return re.findall(r'{(\w+)}', self.template)

    def fidelity_samples(self, api):
        """The samples to send; `api` is the fidelity test's client (see tests/fidelity.py)."""
        samples = self.samples
        if callable(samples):
            samples = samples(api)
        if samples is None:
            return None
        if isinstance(samples, Sample):
            return [samples]
        return list(samples)


def _compile(template):
    parts = re.split(r'({\w+})', template)
    regex = ''.join(
        f'(?P<{part[1:-1]}>[^/]+)' if part.startswith('{') else re.escape(part) for part in parts
    )
    return re.compile(f'^{regex}$')


def _specificity(route):
    # Literal segments beat parameters: '/jobs/{id}/results' must not lose to a broader template.
    return (len(route.param_names), -len(route.template))


class Router:
    def __init__(self):
        self._routes = {}
        self._by_method = {}  # method -> routes, most specific first (rebuilt when a route registers)
        self._lock = threading.Lock()

    def route(self, method, template, *, sdk_model, permissions=(), samples=None, auth=True):
        """Register a handler. sdk_model: the SDK model name the JSON answer follows, e.g.
        'QueueEntityListing' or 'list[SystemPresence]', or None when the SDK types it as `object`
        (say why in a comment). samples: a Sample, a list of them, or a callable(api) returning them."""
        method = method.upper()

        def decorator(handler):
            new = Route(method, template, handler, tuple(permissions), sdk_model, samples, auth,
                        getattr(handler, '__module__', ''), _compile(template))
            with self._lock:
                existing = self._routes.get(new.key)
                if existing is not None and existing.module != new.module:
                    raise ValueError(f'{new.key} is already registered by {existing.module}')
                self._routes[new.key] = new
                self._by_method = {}
            return handler

        return decorator

    def routes(self):
        return sorted(self._routes.values(), key=lambda r: (r.template, r.method))

    def get(self, key):
        return self._routes.get(key)

    def match(self, method, path):
        """(route, path_params), or (None, None) when no template matches."""
        candidates = self._by_method.get(method)
        if candidates is None:
            with self._lock:
                candidates = sorted((r for r in self._routes.values() if r.method == method), key=_specificity)
                self._by_method[method] = candidates
        for candidate in candidates:
            found = candidate.pattern.match(path)
            if found:
                return candidate, found.groupdict()
        return None, None


ROUTER = Router()
route = ROUTER.route

_loaded = False
_load_lock = threading.Lock()


def load_routes():
    """Import every module of emulator/routes/ once, registering its handlers on ROUTER."""
    global _loaded
    with _load_lock:
        if _loaded:
            return ROUTER
        from . import routes

        for info in pkgutil.iter_modules(routes.__path__):
            importlib.import_module(f'{routes.__name__}.{info.name}')
        _loaded = True
    return ROUTER
