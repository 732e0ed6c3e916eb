"""Every secret this process knows, and the one function that takes them out of any text it shows.

The OAuth client secret (from conf.yaml, the environment or the command line), the bearer tokens of every
Genesys client alive, the Datadog API and application keys: each is registered where the toolkit reads it, and
`scrub()` replaces every one of them (also JSON-escaped and URL-encoded, the forms a server echoing a request
would use) BEFORE a text is cut short, so no prefix of a secret survives a `[:500]`. `install()` (run by the
CLI's entry point) makes every log record of the process go through it too.
"""

import functools
import json
import logging
import sys
import threading
import traceback
import weakref
from urllib.parse import quote, quote_plus

MASK = '********'
MIN_LENGTH = 4  # shorter values would mangle ordinary words; no real secret is that short


class SecretRegistry:
    def __init__(self):
        self._lock = threading.Lock()
        self._values = set()
        self._holders = []  # weak references to objects with a `secrets` list (a Genesys client's tokens)

    def add(self, *values):
        with self._lock:
            for value in values:
                if isinstance(value, str) and len(value.strip()) >= MIN_LENGTH:
                    self._values.add(value)
                    self._values.add(value.strip())

    def watch(self, holder):
        """Scrub whatever `holder.secrets` holds at the time of each scrub (tokens are issued as the run goes);
        held weakly, so a finished check or client is forgotten."""
        with self._lock:
            self._holders = [ref for ref in self._holders if ref() is not None]
            if not any(ref() is holder for ref in self._holders):
                self._holders.append(weakref.ref(holder))

    def forget_all(self):
        with self._lock:
            self._values.clear()
            self._holders.clear()

    def values(self):
        with self._lock:
            found = set(self._values)
            holders = [ref() for ref in self._holders]
        for holder in holders:
            try:
                found.update(s for s in (getattr(holder, 'secrets', None) or ()) if isinstance(s, str))
            except Exception:  # noqa: BLE001 - a half-built holder must not break an error message
                continue
        forms = set()
        for value in found:
            if len(value) >= MIN_LENGTH:
                forms.update(_forms(value))
        return sorted(forms, key=len, reverse=True)

    def scrub(self, text, limit=None):
        """`text` with every known secret masked, then cut to `limit` characters (in that order)."""
        text = '' if text is None else str(text)
        for secret in self.values():
            if secret in text:
                text = text.replace(secret, MASK)
        if limit is not None and len(text) > limit:
            text = text[:limit] + '...'
        return text


@functools.lru_cache(maxsize=1024)
def _forms(value):
    """The value as it is, JSON-escaped and URL-encoded: how a server echoing a request writes it."""
    return frozenset({value, json.dumps(value)[1:-1], quote(value, safe=''), quote_plus(value)})


SECRETS = SecretRegistry()


def scrub(text, limit=None):
    return SECRETS.scrub(text, limit)


_installed = False


def install():
    """Scrub every log record this process creates (message, arguments and traceback), whatever its logger, and
    the traceback of an exception nothing caught."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def excepthook(kind, value, tb):
        sys.stderr.write(scrub(''.join(traceback.format_exception(kind, value, tb))))

    sys.excepthook = excepthook

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep the raw message, scrubbed
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
