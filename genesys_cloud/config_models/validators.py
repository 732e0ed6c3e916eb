# Validation a schema cannot express. Each error names the option, so the Agent's message says what to fix;
# inside a section, the message starts with the option's path in the section (`queues.name: ...`), which
# settings.describe_error joins to the section's (`queues.queues.name: ...`).
import re
from urllib.parse import urlsplit

from ..regions import UnknownRegion, resolve_domain
from .section_defaults import fill_sections


def initialize_instance(values, **kwargs):
    return fill_sections(values)


def instance_region(value, *, field, **kwargs):
    if value is not None and not isinstance(value, str):
        raise ValueError(f'must be a region domain or SDK key such as mypurecloud.com or us_east_1, got {value!r}')
    if value is not None:
        try:
            resolve_domain(value)
        except UnknownRegion as e:
            raise ValueError(str(e)) from None
    return value


def _url(value):
    if value not in (None, ''):
        parts = urlsplit(str(value))
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise ValueError(f'must be an http(s) URL such as https://api.mypurecloud.com, got {value!r}')
    return value


def instance_api_url(value, *, field, **kwargs):
    return _url(value)


def instance_login_url(value, *, field, **kwargs):
    return _url(value)


def instance_timeout(value, *, field, **kwargs):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
        raise ValueError('must be a positive number of seconds')
    return value


def instance_billing(value, *, field, **kwargs):
    # The generated model keeps these mappings as they are (an immutable mapping is not validated inside), so
    # their values are checked here.
    if not isinstance(value, dict):
        return value
    baseline = value.get('license_baseline')
    if isinstance(baseline, dict):
        for key, quantity in baseline.items():
            if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not quantity >= 0:
                raise ValueError(f'license_baseline.{key}: must be a number of licences (0 or more), got {quantity!r}')
    charges = value.get('license_charges')
    if isinstance(charges, dict):
        for key, charge in charges.items():
            if not isinstance(charge, str) or not charge.strip():
                raise ValueError(f'license_charges.{key}: must be a charge name, SKU or product id, got {charge!r}')
    return value


def instance_queues(value, *, field, **kwargs):
    selection = value.get('queues') if isinstance(value, dict) else None
    pattern = selection.get('name') if isinstance(selection, dict) else None
    if isinstance(pattern, str) and pattern:
        try:
            re.compile(pattern)
        except re.error as e:
            raise ValueError(f'queues.name: invalid regular expression {pattern!r}: {e}') from None
    return value
