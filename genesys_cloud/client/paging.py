"""Paging answers are untrusted: a nextUri pointing at itself, two pages pointing at each other, a cursor that
repeats or a pageCount that grows with every page would otherwise spend every run's request budget on one
listing. PageGuard recognises those loops and ends the listing with a PagingLoop naming the endpoint."""

import math

from .errors import PagingLoop

MAX_PAGES = 10000  # the last safety net against an endpoint whose paging never ends
BARREN_PAGES = 3  # consecutive pages without one new item while the listing says there is more


class PageGuard:
    def __init__(self, endpoint):
        self.endpoint = endpoint
        self._visited = set()
        self._pages = 0
        self._barren = 0
        self._bound = None

    def visit(self, key) -> None:
        """Before reading a page: `key` (its URI, cursor or number) must not have been read before."""
        self._pages += 1
        if self._pages > MAX_PAGES:
            raise PagingLoop(self.endpoint, f'more than {MAX_PAGES} pages')
        key = repr(key)
        if key in self._visited:
            raise PagingLoop(self.endpoint, 'the next page points back to a page already read')
        self._visited.add(key)

    def page(self, data, new_items: int, page_size=None) -> None:
        """After reading a page that says there is more: its pageCount must fit the listing's own total, and
        pages must keep bringing new items."""
        self._barren = 0 if new_items else self._barren + 1
        if self._barren >= BARREN_PAGES:
            raise PagingLoop(self.endpoint, f'{BARREN_PAGES} pages in a row brought nothing new')
        if not isinstance(data, dict):
            return
        page_count, total = data.get('pageCount'), data.get('total')
        size = page_size or data.get('pageSize')
        if _whole(total) and _whole(size) and size > 0:
            allowed = math.ceil(total / size) + 1  # one page of slack: entities added while we page
            self._bound = max(self._bound or 0, allowed)
        if self._bound is not None and (self._pages > self._bound
                                        or (_whole(page_count) and page_count > self._bound)):
            raise PagingLoop(self.endpoint, f'pageCount {page_count} is beyond what the listing\'s total '
                                            f'({total}) allows')


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
