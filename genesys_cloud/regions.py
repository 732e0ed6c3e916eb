"""Genesys Cloud regions.

Source: purecloudplatformclientv2 269.0.0 `purecloud_region_hosts.py` (SDK key -> domain). The API host is
`api.<domain>` and the login host `login.<domain>`, as the SDK derives them.
"""

REGION_DOMAINS = {
    'us_east_1': 'mypurecloud.com',
    'us_east_2': 'use2.us-gov-pure.cloud',
    'us_west_2': 'usw2.pure.cloud',
    'ca_central_1': 'cac1.pure.cloud',
    'sa_east_1': 'sae1.pure.cloud',
    'mx_central_1': 'mxc1.pure.cloud',
    'eu_west_1': 'mypurecloud.ie',
    'eu_west_2': 'euw2.pure.cloud',
    'eu_central_1': 'mypurecloud.de',
    'eu_central_2': 'euc2.pure.cloud',
    'eusc_de_east_1': 'edee1.eusc-pure.cloud',
    'me_central_1': 'mec1.pure.cloud',
    'ap_south_1': 'aps1.pure.cloud',
    'ap_southeast_1': 'apse1.pure.cloud',
    'ap_southeast_2': 'mypurecloud.com.au',
    'ap_northeast_1': 'mypurecloud.jp',
    'ap_northeast_2': 'apne2.pure.cloud',
    'ap_northeast_3': 'apne3.pure.cloud',
}

DEFAULT_REGION = 'mypurecloud.com'


class UnknownRegion(ValueError):
    pass


def resolve_domain(region: str) -> str:
    """Accept a domain (`mypurecloud.ie`), an SDK key (`eu_west_1`, any case, dashes allowed) or an API URL."""
    text = (region or DEFAULT_REGION).strip().lower()
    for prefix in ('https://', 'http://', 'api.', 'login.'):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.rstrip('/')
    if text in REGION_DOMAINS.values():
        return text
    key = text.replace('-', '_')
    if key in REGION_DOMAINS:
        return REGION_DOMAINS[key]
    valid = ', '.join(f'{domain} ({key})' for key, domain in REGION_DOMAINS.items())
    raise UnknownRegion(f'unknown Genesys Cloud region {region!r}; valid regions: {valid}')


def api_url(domain: str) -> str:
    return f'https://api.{domain}'


def login_url(domain: str) -> str:
    return f'https://login.{domain}'
