# The defaults of the collector sections' options: the one table of them.
#
# ddev generates defaults (defaults.py) for top-level options only; an option inside an object (`queues.batch_size`)
# gets none, so a section the user writes in part would leave the rest None. validators.initialize_instance fills
# each section from this table before the model validates it, so every collector reads `self.config.<option>`
# already typed, defaulted and range-checked. The ranges live in spec.yaml (and so in the generated models);
# tests/test_config_sections.py holds this table to spec.yaml's examples.

SECTION_DEFAULTS = {
    'org': {'enabled': True, 'interval': 900},
    'longest_wait': {'enabled': True, 'interval': 60},
    'agents': {'enabled': True, 'interval': 60, 'page_size': 100},
    # batch_size: queueId predicates per observation query. The platform's maximum is UNVERIFIED (100 is the
    # documented ceiling of the comparable user aggregates query).
    'queues': {'enabled': True, 'interval': 60, 'queues': {}, 'batch_size': 100, 'queue_list_refresh': 600},
    'rate_limits': {'enabled': True, 'interval': 60, 'window_minutes': 60},
    'data_actions': {'enabled': True, 'interval': 300, 'delay': 120, 'max_catchup': 12},
    'operational_events': {'enabled': True, 'interval': 300, 'max_events_per_run': 50},
    'concurrent_usage': {'enabled': True, 'interval': 600, 'page_size': 500},
    'licenses': {'enabled': True, 'interval': 900, 'page_size': 500, 'definitions_interval': 86400},
    'billing': {
        'enabled': True,
        'interval': 300,
        'refresh': 3600,
        'billing_period_start_day': 1,
        'license_model': 'concurrent',
        'license_baseline': {},
        'license_charges': {},
        'ai_token_allowance': None,
        'ai_token_usage_names': [],
    },
    'api_usage': {
        'enabled': True,
        'interval': 3600,
        'usage_by_endpoint': True,
        'max_endpoints_per_client': 25,
        'fair_use_allowance': None,
    },
    # namespaces: names from the SDK's Limit.namespace enum.
    'org_limits': {
        'enabled': True,
        'interval': 14400,
        'namespaces': ['platform.api', 'auth.api', 'dataactions', 'datatables', 'integrations', 'analytics',
                       'notifications', 'routing', 'architect'],
        'change_requests': True,
    },
    'object_limits': {'enabled': True, 'interval': 3600, 'top_n': 10, 'parents_per_run': 50},
}


def fill_sections(values):
    """The instance with every collector section present and each option the user left out (or set to null)
    taken from the table. A section that is not a mapping is left as it is, for the model to refuse."""
    if not isinstance(values, dict):
        return values
    filled = dict(values)
    for section, defaults in SECTION_DEFAULTS.items():
        given = filled.get(section)
        if given is None:
            given = {}
        if isinstance(given, dict):
            filled[section] = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    return filled
