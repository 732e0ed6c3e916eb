"""`ENC[handle]` values in conf.yaml, resolved the way the Datadog Agent resolves them.

The Agent hands every handle to the executable named by `secret_backend_command` in datadog.yaml: JSON
`{"version": "1.0", "secrets": [handles]}` on its stdin, and it answers `{handle: {"value": ..., "error": ...}}`
on stdout. The CLI runs the same executable when told where it is (`--secret-backend-command` or
DD_SECRET_BACKEND_COMMAND), so one conf.yaml serves the Agent and the CLI. Without a backend, the OAuth secret
can come from GENESYS_CLOUD_CLIENT_SECRET instead; anything else is a usage error that says so.
"""

import json
import os
import re
import subprocess

from .errors import UsageError

HANDLE = re.compile(r'^\s*ENC\[(.+)\]\s*$')
BACKEND_ENV = 'DD_SECRET_BACKEND_COMMAND'
SECRET_ENV = 'GENESYS_CLOUD_CLIENT_SECRET'
TIMEOUT = 30  # seconds, the Agent's default secret_backend_timeout


def handles(value, path=''):
    """(option path, handle) of every ENC[] string in a config tree."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from handles(item, f'{path}.{key}' if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from handles(item, f'{path}[{index}]')
    elif isinstance(value, str):
        match = HANDLE.match(value)
        if match:
            yield path, match.group(1)


def resolve(config, backend=None, environ=None):
    """A copy of `config` with every ENC[] value replaced; raises UsageError naming what is missing."""
    environ = os.environ if environ is None else environ
    found = list(handles(config))
    if not found:
        return config
    backend = backend or environ.get(BACKEND_ENV)
    if backend:
        values = _run_backend(backend, sorted({h for _, h in found}))
    else:
        values = {}
        for path, handle in found:
            if path.endswith('client_secret') and environ.get(SECRET_ENV):
                values[handle] = environ[SECRET_ENV]
            else:
                raise UsageError(
                    f'{path} is ENC[{handle}], which only a secret backend can resolve: pass '
                    f'--secret-backend-command PATH (or set {BACKEND_ENV}) naming the executable of your Agent\'s '
                    f'`secret_backend_command`, or export {SECRET_ENV} with the OAuth client secret')
    return _replace(config, values)


def _run_backend(command, wanted):
    request = json.dumps({'version': '1.0', 'secrets': wanted})
    try:
        proc = subprocess.run([command], input=request, capture_output=True, text=True, timeout=TIMEOUT)
    except OSError as e:
        raise UsageError(f'cannot run the secret backend {command}: {e.strerror}') from None
    except subprocess.TimeoutExpired:
        raise UsageError(f'the secret backend {command} did not answer within {TIMEOUT} s') from None
    if proc.returncode != 0:
        # Its stderr may echo secrets: say only how it ended.
        raise UsageError(f'the secret backend {command} exited with status {proc.returncode}')
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        raise UsageError(f'the secret backend {command} did not print JSON') from None
    if not isinstance(answer, dict):
        raise UsageError(f'the secret backend {command} printed JSON that is not an object of handles')
    values = {}
    for handle in wanted:
        entry = answer.get(handle)
        if not isinstance(entry, dict):
            raise UsageError(f'the secret backend {command} returned nothing for ENC[{handle}]')
        if entry.get('error'):
            raise UsageError(f'the secret backend {command} could not resolve ENC[{handle}]: '
                             f'{str(entry["error"])[:200]}')
        if not isinstance(entry.get('value'), str):
            raise UsageError(f'the secret backend {command} returned no string value for ENC[{handle}]')
        values[handle] = entry['value']
    return values


def _replace(value, values):
    if isinstance(value, dict):
        return {key: _replace(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, values) for item in value]
    if isinstance(value, str):
        match = HANDLE.match(value)
        if match:
            return values[match.group(1)]
    return value
