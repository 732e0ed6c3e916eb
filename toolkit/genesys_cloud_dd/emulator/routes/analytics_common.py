"""Filters and entity paging shared by the observation, activity and aggregate query routes (no routes here).

Filter shape (SDK models *QueryFilter / *QueryClause / *QueryPredicate): `{type: and|or, clauses[]{type,
predicates[]}, predicates[]{type: dimension|property|metric, dimension, operator: matches|exists|notExists,
value}}`. Predicates default to `type: dimension`, `operator: matches`.
"""

from ..errors import bad_request
from ..paging import page_params
from ..validation import check_enum

FILTER_TYPES = ('and', 'or')
PREDICATE_TYPES = ('dimension', 'property', 'metric')
OPERATORS = ('matches', 'exists', 'notExists')
# Page size of activity query entities: UNVERIFIED (the SDK only documents pageSize/pageNumber).
ENTITY_PAGE_DEFAULT = 100
ENTITY_PAGE_MAX = 100


def _predicates(flt):
    yield from flt.get('predicates') or []
    for clause in flt.get('clauses') or []:
        yield from _predicates(clause)


def check_filter(flt, dimensions, field='filter'):
    """400 unless `flt` is a well-formed filter over `dimensions`; returns the number of predicates."""
    if not isinstance(flt, dict):
        raise bad_request(f'{field} must be an object', field=field)
    check_enum(flt.get('type'), FILTER_TYPES, f'{field}.type')
    for clause in flt.get('clauses') or []:
        if not isinstance(clause, dict):
            raise bad_request(f'{field}.clauses must hold objects', field=f'{field}.clauses')
        check_enum(clause.get('type'), FILTER_TYPES, f'{field}.clauses.type')
    count = 0
    for predicate in _predicates(flt):
        if not isinstance(predicate, dict):
            raise bad_request(f'{field}.predicates must hold objects', field=f'{field}.predicates')
        check_enum(predicate.get('type', 'dimension'), PREDICATE_TYPES, f'{field}.predicates.type')
        check_enum(predicate.get('dimension'), dimensions, f'{field}.predicates.dimension')
        operator = check_enum(predicate.get('operator', 'matches'), OPERATORS, f'{field}.predicates.operator')
        if operator == 'matches' and not isinstance(predicate.get('value'), str):
            raise bad_request(f'{field}.predicates.value is required for matches', field=f'{field}.predicates.value')
        count += 1
    if not count:
        raise bad_request(f'{field} must hold at least one predicate', field=field)
    return count


def values_of(flt, dimension):
    """The values `matches` predicates on `dimension` ask for, in order, without repeats."""
    found = []
    for predicate in _predicates(flt or {}):
        if predicate.get('dimension') == dimension and predicate.get('operator', 'matches') == 'matches':
            if predicate.get('value') not in found:
                found.append(predicate.get('value'))
    return found


def _predicate_matches(predicate, row):
    value = row.get(predicate.get('dimension'))
    operator = predicate.get('operator', 'matches')
    if operator == 'exists':
        return value is not None
    if operator == 'notExists':
        return value is None
    return value is not None and str(value) == predicate.get('value')


def matches(flt, row) -> bool:
    """Does a row (dimension -> value) pass the filter? No filter passes everything."""
    if not flt:
        return True
    results = [_predicate_matches(p, row) for p in flt.get('predicates') or []]
    results += [matches(c, row) for c in flt.get('clauses') or []]
    return all(results) if flt.get('type') == 'and' else any(results)


def check_groupby(body, dimensions, required=False):
    group_by = body.get('groupBy')
    if group_by is None:
        if required:
            raise bad_request('Missing required field: groupBy', field='groupBy')
        return []
    if not isinstance(group_by, list):
        raise bad_request('groupBy must be a list', field='groupBy')
    for dimension in group_by:
        check_enum(dimension, dimensions, 'groupBy')
    return group_by


def group_rows(rows, group_by):
    """[(group dict, rows)] in first-seen order; a dimension a row lacks is left out of its group."""
    groups = {}
    for row in rows:
        key = tuple((d, row.get(d)) for d in group_by if row.get(d) is not None)
        groups.setdefault(key, []).append(row)
    return [(dict(key), members) for key, members in groups.items()]


def entity_page(request, entities):
    """(page of entities, truncated) for the activity queries' pageSize/pageNumber."""
    size, number = page_params(request, ENTITY_PAGE_DEFAULT, ENTITY_PAGE_MAX)
    start = (number - 1) * size
    return entities[start:start + size], len(entities) > start + size
