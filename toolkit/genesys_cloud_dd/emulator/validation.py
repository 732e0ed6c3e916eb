"""400 answers for bad input, each naming the field (and the allowed values) like the platform does."""

import re
from datetime import datetime, timedelta, timezone

from .errors import bad_request

# Legacy usage queries take local-looking times without a zone: 2025-06-01T00:00:00/2025-06-08T00:00:00
_USAGE_INSTANT = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$')
_DURATION = re.compile(r'^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$')


def require(body, *fields):
    """Raise 400 bad.request for the first field missing (or null/empty) in a JSON object body."""
    if not isinstance(body, dict):
        raise bad_request('The request body must be a JSON object.')
    for name in fields:
        value = body.get(name)
        if value is None or value == '' or value == []:
            raise bad_request(f'Missing required field: {name}', field=name, error_code='missing')
    return body


def check_enum(value, allowed, field):
    """Raise 400 naming the bad value and the allowed ones; returns the value."""
    if value not in allowed:
        message = 'Invalid value [{}] for field {}. Allowed values: [{}]'.format(value, field, ', '.join(allowed))
        raise bad_request(message, field=field, error_code='invalid.value')
    return value


def check_enum_list(values, allowed, field):
    if not isinstance(values, list):
        raise bad_request(f'Field {field} must be a list.', field=field, error_code='invalid.value')
    for value in values:
        check_enum(value, allowed, field)
    return values


def int_param(request, name, default, minimum=None, maximum=None):
    raw = request.query.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f'Value [{raw}] is not valid for field type [{name}]', field=name) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = '{}-{}'.format(minimum if minimum is not None else '', maximum if maximum is not None else '')
        raise bad_request(f'Value [{value}] is not valid for field [{name}]. Allowable range is {bounds}',
                          field=name)
    return value


def parse_instant(text, field='interval', zone_required=False):
    """An ISO-8601 instant as an aware UTC datetime; naive times are UTC unless a zone is required."""
    if not isinstance(text, str):
        raise bad_request(f'Invalid {field}: {text}', field=field)
    try:
        parsed = datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        raise bad_request(f'Invalid date/time in {field}: {text}', field=field) from None
    if parsed.tzinfo is None:
        if zone_required:
            raise bad_request(f'{field} must carry a time zone: {text}', field=field)
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_interval(text, field='interval', style='iso'):
    """'start/end' -> (start, end) UTC datetimes, end after start.

    style 'usage': both halves exactly YYYY-MM-DDThh:mm:ss (legacy usage query format);
    style 'iso': any ISO-8601 instants (analytics: 2025-06-01T00:00:00Z/2025-06-01T01:00:00.000Z)."""
    if not isinstance(text, str) or text.count('/') != 1:
        raise bad_request(f'Invalid {field} [{text}]: expected start/end', field=field)
    start_text, end_text = text.split('/')
    if style == 'usage' and not (_USAGE_INSTANT.match(start_text) and _USAGE_INSTANT.match(end_text)):
        raise bad_request(f'Invalid {field} [{text}]: expected YYYY-MM-DDThh:mm:ss/YYYY-MM-DDThh:mm:ss',
                          field=field)
    start, end = parse_instant(start_text, field), parse_instant(end_text, field)
    if end <= start:
        raise bad_request(f'Invalid {field} [{text}]: the end must be after the start', field=field)
    return start, end


def parse_duration(text, field='granularity') -> timedelta:
    """ISO-8601 durations as analytics granularities use them (PT30M, PT1H, P1D)."""
    found = _DURATION.match(text or '')
    if not found or text in ('P', 'PT') or text.endswith('T'):
        raise bad_request(f'Invalid {field}: {text}', field=field)
    parts = {k: int(v) for k, v in found.groupdict().items() if v}
    duration = timedelta(**parts)
    if duration <= timedelta(0):
        raise bad_request(f'Invalid {field}: {text}', field=field)
    return duration
