"""A small parser for the Datadog query languages the assets use.

Covers what dashboards and monitors of this integration need, strictly enough to catch typos:

- metric queries: `sum:genesys_cloud.api.requests{$org,status_class:4xx,!oauth_client_name:x} by {oauth_client_name}`
  followed by methods such as `.as_count()`, `.rollup(sum, 3600)`, `.fill(zero)`;
- expressions: arithmetic over metric queries, numbers, function calls (`top(...)`, `forecast(...)`, `cumsum(...)`)
  and, in dashboard formulas, query names (`q1 / q2 * 100`);
- monitor queries (https://docs.datadoghq.com/api/latest/monitors/#create-a-monitor, "query" field):
  metric `time_agg(last_5m):<expression> <op> <threshold>` (`next_1w` windows for `forecast()`, change alerts
  `change(avg(last_1h),last_1d):...`), log
  `logs("...").index("*").rollup("count").by("@attr").last("5m") > N` and event
  `events("...").rollup("count").by("tag").last("5m") > N` queries.

Nothing here talks to Datadog; `QueryError` says where a query stops making sense.
"""

import re
from dataclasses import dataclass, field
from typing import Optional

SPACE_AGGREGATORS = ('avg', 'sum', 'min', 'max')
TIME_AGGREGATORS = ('avg', 'sum', 'min', 'max', 'last')
COMPARATORS = ('>=', '<=', '>', '<')
METRIC_METHODS = {'as_count': (0, 0), 'as_rate': (0, 0), 'rollup': (1, 2), 'fill': (1, 2), 'weighted': (0, 0)}
ROLLUP_METHODS = ('sum', 'avg', 'min', 'max', 'count')
FILL_MODES = ('null', 'zero', 'linear', 'last')
# Functions of the Datadog query/formula language the assets may use (docs "Functions").
FUNCTIONS = frozenset(
    """abs log2 log10 cumsum integral sqrt per_second per_minute per_hour diff monotonic_diff derivative rate
    default_zero clamp_min clamp_max cutoff_min cutoff_max exclude_null count_nonzero count_not_null top
    top_offset hour_before day_before week_before month_before timeshift anomalies outliers forecast
    ewma_3 ewma_5 ewma_10 ewma_20 median_3 median_5 median_7 median_9 moving_rollup robust_trend trend_line
    piecewise_constant""".split()
)
LOG_METHODS = ('index', 'rollup', 'by', 'last')
LOG_ROLLUPS = ('count', 'cardinality', 'sum', 'avg', 'min', 'max', 'median', 'pc75', 'pc90', 'pc95', 'pc98', 'pc99')
_WINDOW = re.compile(r'^(last|next)_(\d+)([mhdw])$')
_SHORT_WINDOW = re.compile(r'^(\d+)([mhdw])$')
_TAG_KEY = re.compile(r'^[a-z][a-z0-9_./-]*$')
_IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_.]*')
_NUMBER = re.compile(r'\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
_KWARG = re.compile(r'([A-Za-z_]\w*)\s*=')
UNIT_SECONDS = {'m': 60, 'h': 3600, 'd': 86400, 'w': 604800}


class QueryError(ValueError):
    pass


# -- syntax tree ---------------------------------------------------------------------------------------------


@dataclass
class Filter:
    """One scope item: `key:value`, `!key:value`, a bare tag `key`, or a template variable `$name`."""

    key: Optional[str]
    value: Optional[str] = None  # None for a bare key; may contain `*` wildcards
    negated: bool = False
    variable: Optional[str] = None  # `$org` -> 'org'

    def matches(self, tags) -> bool:
        """Whether a series with these `key:value` tags passes this filter (template variables always do)."""
        if self.variable:
            return True
        found = False
        for t in tags:
            key, _, value = t.partition(':')
            if key != self.key:
                continue
            if self.value is None or _glob(self.value, value):
                found = True
                break
        return found != self.negated


@dataclass
class MetricQuery:
    metric: str
    space_agg: Optional[str] = None
    filters: list = field(default_factory=list)
    group_by: list = field(default_factory=list)
    methods: list = field(default_factory=list)  # (name, [args])

    @property
    def as_count(self):
        return any(name == 'as_count' for name, _ in self.methods)

    @property
    def tag_keys(self):
        keys = [f.key for f in self.filters if f.key] + list(self.group_by)
        return list(dict.fromkeys(keys))

    @property
    def variables(self):
        return [f.variable for f in self.filters if f.variable]


@dataclass
class Num:
    value: float


@dataclass
class Ref:
    name: str  # a formula's query name (q1)


@dataclass
class Neg:
    operand: object


@dataclass
class BinOp:
    op: str
    left: object
    right: object


@dataclass
class Call:
    name: str
    args: list
    kwargs: dict = field(default_factory=dict)


@dataclass
class Window:
    direction: str  # last | next
    seconds: int
    text: str


@dataclass
class MonitorQuery:
    kind: str  # metric | logs | events
    op: str
    threshold: float
    expr: object = None  # metric monitors: the expression tree
    time_agg: Optional[str] = None
    window: Optional[Window] = None
    search: str = ''  # logs/events: the search query
    index: str = ''
    rollup: tuple = ()
    group_by: list = field(default_factory=list)
    change: Optional[str] = None  # change | pct_change: a change alert

    @property
    def metric_queries(self):
        return list(iter_metric_queries(self.expr)) if self.expr is not None else []

    @property
    def is_forecast(self):
        return isinstance(self.expr, Call) and self.expr.name == 'forecast'


def walk(node):
    """Every node of an expression tree, parents first (a Call's string arguments included)."""
    yield node
    if isinstance(node, Neg):
        yield from walk(node.operand)
    elif isinstance(node, BinOp):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)


def iter_metric_queries(node):
    return (n for n in walk(node) if isinstance(n, MetricQuery))


def iter_refs(node):
    return (n.name for n in walk(node) if isinstance(n, Ref))


# -- parser --------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def fail(self, what):
        shown = self.text if len(self.text) < 160 else self.text[:157] + '...'
        raise QueryError(f'{what} at character {self.pos + 1} of `{shown}`')

    def ws(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token=None):
        self.ws()
        if token is None:
            return self.text[self.pos] if self.pos < len(self.text) else ''
        return self.text.startswith(token, self.pos)

    def eat(self, token):
        if not self.peek(token):
            self.fail(f'expected `{token}`')
        self.pos += len(token)

    def at_end(self):
        self.ws()
        return self.pos >= len(self.text)

    def ident(self):
        self.ws()
        m = _IDENT.match(self.text, self.pos)
        if not m:
            self.fail('expected a name')
        self.pos = m.end()
        return m.group()

    def string(self):
        self.ws()
        quote = self.peek()
        if quote not in ('"', "'"):
            self.fail('expected a quoted string')
        end = self.pos + 1
        chunks = []
        while end < len(self.text) and self.text[end] != quote:
            if self.text[end] == '\\' and end + 1 < len(self.text):
                end += 1
            chunks.append(self.text[end])
            end += 1
        if end >= len(self.text):
            self.fail('unterminated string')
        self.pos = end + 1
        return ''.join(chunks)

    def arguments(self, read_one):
        """`(item, item, ...)`, possibly empty: read_one() reads each item; returns what it returned."""
        self.eat('(')
        items = []
        if self.peek() != ')':
            items.append(read_one())
            while self.peek() == ',':
                self.pos += 1
                items.append(read_one())
        self.eat(')')
        return items

    def number(self):
        self.ws()
        m = _NUMBER.match(self.text, self.pos)
        if not m:
            self.fail('expected a number')
        self.pos = m.end()
        return float(m.group())

    # expression := term (('+'|'-') term)*
    def expr(self, allow_refs):
        node = self.term(allow_refs)
        while self.peek() in ('+', '-'):
            op = self.text[self.pos]
            self.pos += 1
            node = BinOp(op, node, self.term(allow_refs))
        return node

    def term(self, allow_refs):
        node = self.factor(allow_refs)
        while self.peek() in ('*', '/'):
            op = self.text[self.pos]
            self.pos += 1
            node = BinOp(op, node, self.factor(allow_refs))
        return node

    def factor(self, allow_refs):
        c = self.peek()
        if c == '-':
            self.pos += 1
            return Neg(self.factor(allow_refs))
        if c == '(':
            self.pos += 1
            node = self.expr(allow_refs)
            self.eat(')')
            return node
        if c.isdigit():
            return Num(self.number())
        if not c:
            self.fail('unexpected end of query')
        start = self.pos
        name = self.ident()
        nxt = self.peek()
        if nxt == '(':
            return self.call(name, allow_refs)
        if nxt == ':' and name in SPACE_AGGREGATORS:
            self.pos += 1
            return self.metric_query(space_agg=name)
        if nxt == '{':
            self.pos = start
            return self.metric_query(space_agg=None)
        if nxt == ':':
            self.fail(f'unknown space aggregator `{name}` (use one of {", ".join(SPACE_AGGREGATORS)})')
        if allow_refs:
            return Ref(name)
        self.pos = start
        self.fail(f'`{name}` is neither a function, a number nor a metric query')

    def call(self, name, allow_refs):
        if name not in FUNCTIONS:
            self.fail(f'unknown function `{name}`')
        args, kwargs = [], {}

        def argument():
            if self.peek() in ('"', "'"):
                args.append(self.string())
                return
            m = _KWARG.match(self.text, self.pos)
            if m:
                self.pos = m.end()
                kwargs[m.group(1)] = self.string() if self.peek() in ('"', "'") else self.number()
            else:
                args.append(self.expr(allow_refs))

        self.arguments(argument)
        return Call(name, args, kwargs)

    def metric_query(self, space_agg):
        name = self.ident()
        if not re.match(r'^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$', name):
            self.fail(f'`{name}` is not a metric name')
        self.eat('{')
        end = self.text.find('}', self.pos)
        if end < 0:
            self.fail('unterminated `{`')
        filters = parse_scope(self.text[self.pos:end])
        self.pos = end + 1
        group_by = []
        m = re.compile(r'\s+by\s*\{').match(self.text, self.pos)
        if m:
            self.pos = m.end()
            end = self.text.find('}', self.pos)
            if end < 0:
                self.fail('unterminated `by {`')
            group_by = [t.strip() for t in self.text[self.pos:end].split(',')]
            for key in group_by:
                if not _TAG_KEY.match(key):
                    self.fail(f'`{key}` is not a tag key to group by')
            self.pos = end + 1
        methods = []
        while self.text.startswith('.', self.pos):
            self.pos += 1
            method = self.ident()
            if method not in METRIC_METHODS:
                self.fail(f'unknown method `.{method}()`')
            args = self.arguments(lambda: self.ident() if self.peek().isalpha() else self.number())
            low, high = METRIC_METHODS[method]
            if not low <= len(args) <= high:
                self.fail(f'`.{method}()` takes {low} to {high} arguments')
            if method == 'rollup' and args[0] not in ROLLUP_METHODS:
                self.fail(f'unknown rollup method `{args[0]}`')
            if method == 'fill' and args[0] not in FILL_MODES:
                self.fail(f'unknown fill mode `{args[0]}`')
            methods.append((method, args))
        return MetricQuery(name, space_agg, filters, group_by, methods)


def parse_scope(text):
    """`{...}` contents: `*`, or items separated by commas (or AND); `!key:value`, `key:value`, `key`, `$var`."""
    text = text.strip()
    if not text:
        raise QueryError('empty scope `{}` (use `{*}`)')
    if text == '*':
        return []
    filters = []
    for raw in re.split(r',|\s+AND\s+', text):
        item = raw.strip()
        negated = False
        if item.startswith('!') or item.startswith('NOT '):
            negated = True
            item = item[1:] if item.startswith('!') else item[4:]
            item = item.strip()
        if not item:
            raise QueryError(f'empty filter in scope `{{{text}}}`')
        if item == '*':
            continue
        if item.startswith('$'):
            var = item[1:]
            if var.endswith('.value'):
                var = var[: -len('.value')]
            if not re.match(r'^[A-Za-z_][A-Za-z0-9_-]*$', var):
                raise QueryError(f'`{item}` is not a template variable')
            filters.append(Filter(None, variable=var, negated=negated))
            continue
        key, sep, value = item.partition(':')
        if not _TAG_KEY.match(key):
            raise QueryError(f'`{key}` is not a tag key (filter `{item}`)')
        if sep and not value:
            raise QueryError(f'filter `{item}` has no value')
        if sep and (' ' in value or '{' in value):
            raise QueryError(f'filter `{item}` has a space in its value (use `,` or `AND` between filters)')
        filters.append(Filter(key, value if sep else None, negated))
    return filters


def parse_metric_query(text):
    """One metric query (a dashboard request query): `space_agg:metric{scope} by {tags}.methods()`."""
    p = _Parser(text)
    node = p.factor(allow_refs=False)
    if not isinstance(node, MetricQuery) or not p.at_end():
        p.fail('expected exactly one metric query')
    if node.space_agg is None:
        raise QueryError(f'`{text}`: give a space aggregator (`sum:`, `avg:`, `min:`, `max:`)')
    return node


def parse_expression(text, allow_refs=False):
    """An arithmetic expression of metric queries (or of query names when `allow_refs`, as in formulas)."""
    p = _Parser(text)
    node = p.expr(allow_refs)
    if not p.at_end():
        p.fail('unexpected text')
    return node


def parse_window(text):
    m = _WINDOW.match(text)
    if not m:
        raise QueryError(f'`{text}` is not a monitor window (last_5m, last_1h, last_1d, next_1w)')
    return Window(m.group(1), int(m.group(2)) * UNIT_SECONDS[m.group(3)], text)


def parse_monitor_query(text):
    """Parse a monitor query; raises QueryError when it is not valid monitor syntax."""
    text = text.strip()
    m = re.search(r'\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$', text)
    if not m:
        raise QueryError(f'`{text}`: a monitor query ends with a comparison and a threshold, e.g. `> 10`')
    op, threshold, body = m.group(1), float(m.group(2)), text[: m.start()]
    if body.startswith(('logs(', 'events(')):
        return _parse_search_monitor(body, op, threshold)
    change = None
    m = re.match(r'^(change|pct_change)\(\s*(\w+)\(([^)]*)\)\s*,\s*([^)]*)\)\s*:', body)
    if m:  # change alert: change(avg(last_5m),last_1d): compares the window with the same one a shift earlier
        change, shift = m.group(1), parse_window(m.group(4).strip())
        if shift.direction != 'last':
            raise QueryError(f'`{text}`: the change shift is a `last_*` window')
        time_agg, window = m.group(2), parse_window(m.group(3).strip())
    else:
        m = re.match(r'^(\w+)\(([^)]*)\)\s*:', body)
        if not m:
            raise QueryError(f'`{text}`: a metric monitor query starts with `time_aggregation(last_5m):`')
        time_agg, window = m.group(1), parse_window(m.group(2).strip())
    if time_agg not in TIME_AGGREGATORS:
        raise QueryError(f'`{time_agg}` is not a monitor time aggregation ({", ".join(TIME_AGGREGATORS)})')
    expr = parse_expression(body[m.end():])
    query = MonitorQuery('metric', op, threshold, expr=expr, time_agg=time_agg, window=window, change=change)
    if not query.metric_queries:
        raise QueryError(f'`{text}`: the query names no metric')
    for mq in query.metric_queries:
        if mq.space_agg is None:
            raise QueryError(f'`{text}`: give `{mq.metric}` a space aggregator (`sum:`, `avg:`, ...)')
        if mq.variables:
            raise QueryError(f'`{text}`: monitors cannot use template variables (${mq.variables[0]})')
    if change and query.is_forecast:
        raise QueryError(f'`{text}`: a change alert cannot forecast')
    if query.is_forecast != (window.direction == 'next'):
        raise QueryError(f'`{text}`: `next_*` windows go with `forecast(...)` and only with it')
    if query.is_forecast:
        _check_forecast(query.expr, text)
    elif any(isinstance(n, Call) and n.name == 'forecast' for n in walk(expr)):
        raise QueryError(f'`{text}`: `forecast(...)` must be the whole monitor expression')
    groups = {tuple(mq.group_by) for mq in query.metric_queries if mq.group_by}
    if len(groups) > 1:
        raise QueryError(f'`{text}`: the metrics of the expression must be grouped by the same tags (or not at all)')
    return query


def _check_forecast(call, text):
    # forecast(query, algorithm, deviations, interval=..., history=..., model=...) (docs "Forecast monitor")
    if len(call.args) != 3 or not isinstance(call.args[1], str) or not isinstance(call.args[2], Num):
        raise QueryError(f"`{text}`: use forecast(<query>, 'linear'|'seasonal', <deviations>, ...)")
    if call.args[1] not in ('linear', 'seasonal'):
        raise QueryError(f'`{text}`: unknown forecast algorithm `{call.args[1]}`')
    allowed = {'interval', 'history', 'model', 'seasonality', 'daily_seasonality', 'timezone'}
    unknown = set(call.kwargs) - allowed
    if unknown:
        raise QueryError(f'`{text}`: unknown forecast option `{sorted(unknown)[0]}`')


def _parse_search_monitor(body, op, threshold):
    p = _Parser(body)
    kind = p.ident()
    p.eat('(')
    search = p.string()
    p.eat(')')
    query = MonitorQuery(kind, op, threshold, search=search)
    seen = []
    while not p.at_end():
        p.eat('.')
        method = p.ident()
        if method not in LOG_METHODS or (kind == 'events' and method == 'index'):
            p.fail(f'unknown method `.{method}()` of a {kind} query')
        if method in seen and method != 'by':
            p.fail(f'`.{method}()` given twice')
        seen.append(method)
        args = p.arguments(p.string)
        if method == 'index':
            query.index = ','.join(args)
        elif method == 'rollup':
            if not args or args[0] not in LOG_ROLLUPS:
                p.fail(f'unknown rollup `{args[0] if args else ""}`')
            query.rollup = tuple(args)
        elif method == 'by':
            query.group_by.extend(a.strip() for arg in args for a in arg.split(','))
        elif method == 'last':
            if len(args) != 1 or not _SHORT_WINDOW.match(args[0]):
                p.fail('`.last()` takes a window like "5m"')
            m = _SHORT_WINDOW.match(args[0])
            query.window = Window('last', int(m.group(1)) * UNIT_SECONDS[m.group(2)], args[0])
    if 'rollup' not in seen or 'last' not in seen:
        raise QueryError(f'`{body}`: a {kind} monitor query needs `.rollup("count")` and `.last("5m")`')
    if seen[-1] != 'last':
        raise QueryError(f'`{body}`: `.last(...)` comes last')
    parse_search(search)  # must be valid search syntax
    return query


# -- log/event search syntax ------------------------------------------------------------------------------


@dataclass
class SearchTerm:
    key: Optional[str]  # `status`, `service`, `@genesys.flow_name`, a tag key; None for free text
    value: str
    negated: bool = False


def parse_search(text):
    """Log/event search: `key:value`, `@attr:value`, `-key:value`, `key:(a OR b)`, AND/OR/NOT, free text."""
    terms = []
    pos, depth = 0, 0
    pattern = re.compile(
        r'\s*(?:(?P<op>AND|OR|NOT)(?=\s|\()|(?P<open>\()|(?P<close>\))|'
        r'(?P<neg>-)?(?P<key>@?[A-Za-z_][\w.@-]*):(?P<value>\([^)]*\)|"[^"]*"|[^\s()]+)|'
        r'(?P<text>"[^"]*"|[^\s()]+))'
    )
    while pos < len(text):
        if text[pos:].strip() == '':
            break
        m = pattern.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f'cannot read search query `{text}` at character {pos + 1}')
        pos = m.end()
        if m.group('open'):
            depth += 1
        elif m.group('close'):
            depth -= 1
            if depth < 0:
                raise QueryError(f'unbalanced `)` in search query `{text}`')
        elif m.group('key'):
            value = m.group('value')
            if value.startswith('('):
                values = [v.strip().strip('"') for v in re.split(r'\s+OR\s+', value[1:-1])]
            else:
                values = [value.strip('"')]
            for v in values:
                if not v:
                    raise QueryError(f'empty value for `{m.group("key")}` in search query `{text}`')
                terms.append(SearchTerm(m.group('key'), v, bool(m.group('neg'))))
        elif m.group('text'):
            terms.append(SearchTerm(None, m.group('text').strip('"')))
    if depth:
        raise QueryError(f'unbalanced `(` in search query `{text}`')
    return terms


def _glob(pattern, value):
    if '*' not in pattern:
        return pattern == value
    return re.fullmatch('.*'.join(re.escape(p) for p in pattern.split('*')), value) is not None
