"""Tags built from API data, which may hold commas, colons, control characters or very long names."""

import re

MAX_TAG_LENGTH = 200  # Datadog truncates tags at 200 characters; do it ourselves so values stay stable
_CONTROL = re.compile(r'[\x00-\x1f\x7f]+')


def clean(value) -> str:
    text = '' if value is None else str(value)
    # A comma separates tags in several Datadog intakes, so it would split one tag into two.
    text = _CONTROL.sub(' ', text).replace(',', ' ').strip()
    return re.sub(r'\s+', ' ', text)


def tag(key: str, value) -> str:
    text = clean(value) or 'unknown'
    return f'{key}:{text}'[:MAX_TAG_LENGTH]


def tags(**pairs) -> list:
    return [tag(key, value) for key, value in pairs.items() if value is not None]
