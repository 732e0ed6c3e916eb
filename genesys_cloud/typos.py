"""Unknown option names, at the top level and inside option sections, each with the nearest valid name: a
misspelled option (`intervall`, a section `queus:`) is otherwise ignored without a word."""
import difflib
import typing

from pydantic import BaseModel

# Keys the Agent itself reads from an instance, which the config model does not describe.
AGENT_KEYS = frozenset({'name', 'loader', 'ad_identifiers', 'check_tag_cardinality'})


def unknown_options(user_config, model_class, path=''):
    """[(option path, nearest valid name or None)] for every key the model does not know, sections included."""
    if not isinstance(user_config, dict):
        return []
    fields = model_class.model_fields
    known = set(fields) | {f.alias for f in fields.values() if f.alias}
    found = []
    for key, value in user_config.items():
        if key in known:
            section = _model_of(fields[key].annotation) if key in fields else None
            if section is not None and isinstance(value, dict):
                found.extend(unknown_options(value, section, f'{path}{key}.'))
            continue
        if not path and key in AGENT_KEYS:
            continue
        nearest = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.75)
        found.append((f'{path}{key}', f'{path}{nearest[0]}' if nearest else None))
    return found


def _model_of(annotation):
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
