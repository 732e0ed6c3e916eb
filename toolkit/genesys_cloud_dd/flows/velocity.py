"""Render Data Action templates the way Genesys Cloud does: Apache Velocity with `$esc`, `input`, `credentials`.

Genesys renders `requestUrlTemplate`, `headers` and `requestTemplate` with Velocity. The `airspeed` package is a
Velocity engine for Python, but it knows nothing of the Java objects Genesys hands to the template, so this
module supplies them:

- `EscapeTool.jsonString`: Apache Commons `StringEscapeUtils.escapeJson` semantics (what the Velocity tools'
  JSON escaper uses): `"` `\\` `/` escaped with a backslash, `\\b \\f \\n \\r \\t` as such, and every
  other character below 0x20 or above 0x7F as `\\uXXXX` (upper-case hex, UTF-16
  code units, so an emoji becomes a surrogate pair). A null argument returns null, and Velocity then prints
  the reference text itself, exactly as Java Velocity does (which is why the templates never pass null).
- `JavaString` / `JavaInteger`: inputs behave like `java.lang.String` / `java.lang.Integer` (`length()` in
  UTF-16 units, `substring`, `codePointCount`, `offsetByCodePoints`, `replace`, `matches`, `toString`).

Used by the tests, by `flows send-test` (which sends exactly what the flow would send) and by the emulator's
action test endpoint. `airspeed` is a tooling dependency, imported lazily.
"""

import json
import re

# -- Java objects ------------------------------------------------------------------------------------------


def _units(text):
    data = str.__str__(text).encode('utf-16-le', 'surrogatepass')
    return [int.from_bytes(data[i:i + 2], 'little') for i in range(0, len(data), 2)]


def _from_units(units):
    data = b''.join(u.to_bytes(2, 'little') for u in units)
    return data.decode('utf-16-le', 'surrogatepass')


def _is_high(unit):
    return 0xD800 <= unit <= 0xDBFF


def _is_low(unit):
    return 0xDC00 <= unit <= 0xDFFF


class JavaString(str):
    """A Python str with the java.lang.String methods the templates call (UTF-16 indices, like Java)."""

    def length(self):
        return len(_units(self))

    def isEmpty(self):  # noqa: N802 (Java name)
        return self.length() == 0

    def substring(self, begin, end=None):
        units = _units(self)
        end = len(units) if end is None else end
        if not 0 <= begin <= end <= len(units):
            raise IndexError(f'substring({begin}, {end}) of a string of length {len(units)}')
        return JavaString(_from_units(units[begin:end]))

    def codePointCount(self, begin, end):  # noqa: N802
        units = _units(self)[begin:end]
        count, i = 0, 0
        while i < len(units):
            if _is_high(units[i]) and i + 1 < len(units) and _is_low(units[i + 1]):
                i += 2
            else:
                i += 1
            count += 1
        return count

    def offsetByCodePoints(self, index, offset):  # noqa: N802
        units = _units(self)
        i = index
        for _ in range(offset):
            if i >= len(units):
                raise IndexError('offsetByCodePoints beyond the end of the string')
            i += 2 if _is_high(units[i]) and i + 1 < len(units) and _is_low(units[i + 1]) else 1
        return i

    def replace(self, old, new, *args):
        return JavaString(str.replace(self, old, new, *args))

    def matches(self, regex):
        return re.fullmatch(regex, self) is not None

    def toString(self):  # noqa: N802
        return self

    def toLowerCase(self):  # noqa: N802
        return JavaString(self.lower())

    def trim(self):
        return JavaString(self.strip(''.join(chr(c) for c in range(0x21))))


class JavaInteger(int):
    def toString(self):  # noqa: N802
        return JavaString(str(int(self)))


def java(value):
    """Wrap decoded JSON input the way Genesys exposes it to Velocity (a Map of Strings, Integers, ...)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return JavaString(value)
    if isinstance(value, int):
        return JavaInteger(value)
    if isinstance(value, dict):
        return {k: java(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [java(v) for v in value]
    return value


# -- $esc ------------------------------------------------------------------------------------------------

_SIMPLE = {'"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\n': '\\n', '\t': '\\t', '\f': '\\f', '\r': '\\r'}


def escape_json(value):
    """`StringEscapeUtils.escapeJson(String.valueOf(value))`; None stays None (Java returns null)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    out = []
    for unit in _units(text):
        char = chr(unit)
        if char in _SIMPLE:
            out.append(_SIMPLE[char])
        elif unit < 0x20 or unit > 0x7F:
            out.append(f'\\u{unit:04X}')
        else:
            out.append(char)
    return ''.join(out)


class EscapeTool:
    """The `$esc` object of Genesys Data Action templates (the methods the templates use)."""

    def jsonString(self, value):  # noqa: N802
        return escape_json(value)

    def url(self, value):
        from urllib.parse import quote_plus

        return None if value is None else quote_plus(str(value), safe='')


# -- rendering -------------------------------------------------------------------------------------------


def render(template, inputs=None, credentials=None):
    """Render one Velocity template string with Genesys's context (`$input`, `$credentials`, `$esc`)."""
    import airspeed

    context = {'esc': EscapeTool(), 'input': java(dict(inputs or {})), 'credentials': java(dict(credentials or {}))}
    return airspeed.Template(template).merge(context)


def render_request(action, inputs=None, credentials=None):
    """The HTTP request a Data Action would send: (method, url, headers, body text).

    `action` is an export, a PostActionInput or an Action (anything with config.request)."""
    request = action['config']['request']
    url = render(request['requestUrlTemplate'], inputs, credentials)
    headers = {name: render(value, inputs, credentials) for name, value in (request.get('headers') or {}).items()}
    body = render(request.get('requestTemplate') or '', inputs, credentials)
    return request.get('requestType', 'POST'), url, headers, body


def render_json(action, inputs=None, credentials=None):
    """render_request with the body parsed as JSON (raises ValueError when the template produced bad JSON)."""
    method, url, headers, body = render_request(action, inputs, credentials)
    return method, url, headers, json.loads(body)
