"""The paging styles of the reference, section 10, each answering exactly the fields the real API does.

All helpers take the request (for its query and path), the full ordered list of items, and an optional
`render(item) -> dict` applied to the page only. pageSize outside 1..max_size is a 400, as on the platform.
"""

import base64
import binascii
import math
from urllib.parse import urlencode

from .errors import bad_request
from .validation import int_param


def page_params(request, default_size=25, max_size=500):
    size = int_param(request, 'pageSize', default_size, minimum=1, maximum=max_size)
    number = int_param(request, 'pageNumber', 1, minimum=1)
    return size, number


def uri(request, **overrides):
    """The request's path and query with some parameters replaced (None removes one)."""
    query = {k: list(v) for k, v in request.query_all.items()}
    for key, value in overrides.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = [str(value)]
    encoded = urlencode(query, doseq=True)
    return f'{request.path}?{encoded}' if encoded else request.path


def _page(items, size, number, render):
    page = list(items[(number - 1) * size:number * size])
    return [render(item) for item in page] if render else page


def full_listing(request, items, render=None, default_size=25, max_size=500):
    """pageSize/pageNumber with totals and every URI (users, routing queues, divisions, OAuth clients)."""
    size, number = page_params(request, default_size, max_size)
    total = len(items)
    count = math.ceil(total / size)
    body = {
        'entities': _page(items, size, number, render),
        'pageSize': size,
        'pageNumber': number,
        'total': total,
        'pageCount': count,
        'firstUri': uri(request, pageSize=size, pageNumber=1),
        'selfUri': uri(request, pageSize=size, pageNumber=number),
        'lastUri': uri(request, pageSize=size, pageNumber=max(count, 1)),
    }
    if number < count:
        body['nextUri'] = uri(request, pageSize=size, pageNumber=number + 1)
    if number > 1:
        body['previousUri'] = uri(request, pageSize=size, pageNumber=min(number - 1, max(count, 1)))
    return body


def unpaged_listing(request, items, render=None):
    """The full-listing fields for an endpoint that takes no paging parameters (GET /oauth/clients)."""
    total = len(items)
    return {
        'entities': [render(i) for i in items] if render else list(items),
        'pageSize': total,
        'pageNumber': 1,
        'total': total,
        'pageCount': 1,
        'firstUri': uri(request, pageSize=total, pageNumber=1),
        'selfUri': uri(request, pageSize=total, pageNumber=1),
        'lastUri': uri(request, pageSize=total, pageNumber=1),
    }


def short_listing(request, items, render=None, default_size=25, max_size=500):
    """Page number with totals and no URIs (GET /license/users)."""
    size, number = page_params(request, default_size, max_size)
    total = len(items)
    return {
        'entities': _page(items, size, number, render),
        'pageSize': size,
        'pageNumber': number,
        'total': total,
        'pageCount': math.ceil(total / size),
    }


def no_totals_listing(request, items, render=None, default_size=25, max_size=100):
    """Page number without totals; nextUri says more exist (GET /routing/queues/{id}/members)."""
    size, number = page_params(request, default_size, max_size)
    body = {
        'entities': _page(items, size, number, render),
        'pageSize': size,
        'pageNumber': number,
        'firstUri': uri(request, pageSize=size, pageNumber=1),
        'selfUri': uri(request, pageSize=size, pageNumber=number),
    }
    if number * size < len(items):
        body['nextUri'] = uri(request, pageSize=size, pageNumber=number + 1)
    if number > 1:
        body['previousUri'] = uri(request, pageSize=size, pageNumber=number - 1)
    return body


def encode_cursor(offset) -> str:
    return base64.urlsafe_b64encode(f'offset:{offset}'.encode()).decode().rstrip('=')


def decode_cursor(cursor, field='after') -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode()
        prefix, _, offset = raw.partition(':')
        if prefix != 'offset' or not offset.isdigit():
            raise ValueError(raw)
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request(f'Invalid cursor value for {field}: {cursor}', field=field) from None


def _cursor_window(request, items, default_size, max_size, cursor_param):
    size = int_param(request, 'pageSize', default_size, minimum=1, maximum=max_size)
    cursor = request.query.get(cursor_param)
    start = decode_cursor(cursor, cursor_param) if cursor else 0
    return size, start, list(items[start:start + size])


def next_uri_page(request, items, render=None, default_size=100, max_size=1000, cursor_param='after',
                  key='entities'):
    """`after` cursor; nextUri only when another page exists (usage aggregates job results).

    Returns the page fields to merge into the endpoint's body."""
    size, start, page = _cursor_window(request, items, default_size, max_size, cursor_param)
    body = {key: [render(i) for i in page] if render else page, 'selfUri': uri(request)}
    if start + size < len(items):
        body['nextUri'] = uri(request, pageSize=size, **{cursor_param: encode_cursor(start + size)})
    return body


def cursors_page(request, items, render=None, default_size=100, max_size=1000, key='results'):
    """`after` parameter and a `cursors{before, after}` object (simple search results)."""
    size, start, page = _cursor_window(request, items, default_size, max_size, 'after')
    cursors = {}
    if start > 0:
        cursors['before'] = encode_cursor(max(0, start - size))
    if start + size < len(items):
        cursors['after'] = encode_cursor(start + size)
    body = {key: [render(i) for i in page] if render else page}
    if cursors:
        body['cursors'] = cursors
    return body


def before_after_page(request, items, render=None, default_size=25, max_size=200, key='entities'):
    """`before`/`after` cursors with nextUri and previousUri (billing contracts, invoices, usage events)."""
    size = int_param(request, 'pageSize', default_size, minimum=1, maximum=max_size)
    before, after = request.query.get('before'), request.query.get('after')
    if after:
        start = decode_cursor(after, 'after')
    elif before:
        start = max(0, decode_cursor(before, 'before') - size)
    else:
        start = 0
    page = list(items[start:start + size])
    body = {key: [render(i) for i in page] if render else page, 'selfUri': uri(request)}
    if start + size < len(items):
        body['nextUri'] = uri(request, pageSize=size, before=None, after=encode_cursor(start + size))
    if start > 0:
        body['previousUri'] = uri(request, pageSize=size, after=None, before=encode_cursor(start))
    return body
