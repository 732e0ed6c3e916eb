"""assert_sdk_shape(data, 'ModelName'): does this JSON fit the official SDK model, key for key?

Walks purecloudplatformclientv2's swagger_types/attribute_map recursively and fails on keys the model
does not know, on scalar types that do not match, and on enum values outside the setter's
allowed_values (read from the setter's source: the SDK would silently turn them into
'outdated_sdk_version'). Finally the SDK's own deserializer must accept the data.
"""

import ast
import functools
import inspect
import re
from datetime import date, datetime

import PureCloudPlatformClientV2.models as sdk_models
from PureCloudPlatformClientV2.api_client import ApiClient

# Required fields the Python SDK does not record; from the reference and the Java SDK. Any model whose
# name ends in EntityListing must have `entities` as well.
REQUIRED_FIELDS = {
    'ErrorBody': ('message', 'code', 'status'),
    'TokenInfo': ('organization', 'OAuthClient'),
    'OAuthClient': ('id', 'name', 'authorizedGrantType'),
    'OrgOAuthClient': ('id', 'name'),
    'Queue': ('id', 'name'),
    'User': ('id', 'name'),
    'AuthzDivision': ('id', 'name'),
    'QueueMember': ('id',),
}

_LIST = re.compile(r'^list\[(.+)\]$')
_DICT = re.compile(r'^dict\(str, (.+)\)$')
_ALLOWED = re.compile(r'allowed_values = (\[.*?\])', re.S)


class ShapeError(AssertionError):
    pass


@functools.cache
def model_class(name):
    cls = getattr(sdk_models, name, None)
    if inspect.isclass(cls) and hasattr(cls(), 'swagger_types'):
        return cls
    raise ShapeError(f'no SDK model named {name!r}')


@functools.cache
def model_fields(name):
    """JSON name -> (python attribute, type string, allowed enum values or None)."""
    cls = model_class(name)
    instance = cls()
    fields = {}
    for attr, json_name in instance.attribute_map.items():
        fields[json_name] = (attr, instance.swagger_types[attr], _allowed_values(cls, attr))
    return fields


def _allowed_values(cls, attr):
    prop = getattr(cls, attr, None)
    setter = getattr(prop, 'fset', None)
    if setter is None:
        return None
    found = _ALLOWED.search(inspect.getsource(setter))
    return tuple(ast.literal_eval(found.group(1))) if found else None


def _fail(path, message):
    raise ShapeError('{}: {}'.format(path or '<root>', message))


def _check_scalar(value, type_name, path):
    if type_name == 'object':
        return
    if type_name == 'str':
        ok = isinstance(value, str)
    elif type_name == 'int':
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name in ('float', 'long'):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif type_name == 'bool':
        ok = isinstance(value, bool)
    elif type_name == 'datetime':
        ok = isinstance(value, str) and _parses(datetime.fromisoformat, value.replace('Z', '+00:00'))
    elif type_name == 'date':
        ok = isinstance(value, str) and _parses(date.fromisoformat, value)
    else:
        _fail(path, f'unsupported SDK type {type_name!r}')
    if not ok:
        _fail(path, f'{value!r} is not a valid {type_name}')


def _parses(parser, text):
    try:
        parser(text)
        return True
    except ValueError:
        return False


def _walk(value, type_name, path):
    if value is None:
        return  # the SDK accepts nulls; the emulator mostly omits fields instead
    found = _LIST.match(type_name)
    if found:
        if not isinstance(value, list):
            _fail(path, f'expected a list for {type_name}, got {type(value).__name__}')
        for index, item in enumerate(value):
            _walk(item, found.group(1), f'{path}[{index}]')
        return
    found = _DICT.match(type_name)
    if found:
        if not isinstance(value, dict):
            _fail(path, f'expected an object for {type_name}')
        for key, item in value.items():
            _walk(item, found.group(1), f'{path}[{key!r}]')
        return
    if type_name in ('str', 'int', 'float', 'long', 'bool', 'datetime', 'date', 'object'):
        _check_scalar(value, type_name, path)
        return
    _walk_model(value, type_name, path)


def _walk_model(value, name, path):
    if not isinstance(value, dict):
        _fail(path, f'expected an object for model {name}, got {value!r}')
    fields = model_fields(name)
    unknown = sorted(set(value) - set(fields))
    if unknown:
        _fail(path, f'keys {unknown} are not in SDK model {name} (known: {sorted(fields)})')
    required = REQUIRED_FIELDS.get(name, ()) + (('entities',) if name.endswith('EntityListing') else ())
    missing = [key for key in required if key not in value]
    if missing:
        _fail(path, f'required keys {missing} missing from {name}')
    for key, item in value.items():
        _attr, type_name, allowed = fields[key]
        child = f'{path}.{key}' if path else key
        if allowed is not None and item is not None:
            for scalar in item if isinstance(item, list) else [item]:
                if scalar not in allowed:
                    _fail(child, f'{scalar!r} is not an allowed {name}.{key} value {list(allowed)}')
        _walk(item, type_name, child)


def assert_sdk_shape(data, model):
    """Fail (AssertionError) unless `data` fits SDK type `model` ('Queue', 'list[SystemPresence]'...)."""
    _walk(data, model, '')
    # And the SDK itself must take it without raising (dates, nested models...).
    ApiClient()._ApiClient__deserialize(data, model)
