"""Numbers a person reads: rounded, thousands separated, units named, singular or plural as the count says.

Every figure the toolkit prints (evidence packs, demo, monitor evaluation, check output) goes through here, so
no float artefact such as 643.8000000000002 or 1.2e+06 can reach a reader.
"""

from datetime import date, datetime, timezone


def readable(value) -> str:
    """Any metric value: whole numbers as count(), others with the precision that suits their size."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if value != value or value in (float('inf'), float('-inf')):
        return str(value)
    if value.is_integer():
        return count(value)
    magnitude = abs(value)
    return amount(value, 1 if magnitude >= 100 else 3 if magnitude >= 1 else 6)


def count(value) -> str:
    """An integer quantity: 1234567 -> '1,234,567'."""
    return f'{int(round(float(value or 0))):,}'


def amount(value, decimals=2) -> str:
    """A measured quantity: at most `decimals` places, trailing zeros dropped (643.8000000000002 -> '643.8')."""
    value = round(float(value or 0), decimals)
    text = f'{value:,.{decimals}f}'
    if '.' in text:
        text = text.rstrip('0').rstrip('.')
    return '0' if text in ('-0', '') else text


def money(value, currency) -> str:
    return f'{float(value or 0):,.2f} {currency}'.strip()


def percent(part, whole, decimals=0) -> str:
    if not whole:
        return 'n/a'
    return f'{100.0 * part / whole:.{decimals}f} %'


def plural(n, word, words=None) -> str:
    """'1 day', '3 days', '1 User', '16 Users' (the count formatted with count() or amount())."""
    number = count(n) if float(n).is_integer() else amount(n)
    if float(n) == 1:
        return f'{number} {word}'
    return f'{number} {words or _plural(word)}'


def _plural(word):
    if not word or word[-1] in 'sS':
        return word
    if word.endswith('y') and word[-2:-1] not in 'aeiou':
        return word[:-1] + 'ies'
    return word + 's'


def unit_name(unit, n=2) -> str:
    """The API's unitOfMeasure ('User', 'Token', 'Minute') as a reader says it for n of them."""
    unit = (unit or '').strip()
    if not unit:
        return ''
    return unit.lower() if float(n) == 1 else _plural(unit.lower())


def iso(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    if isinstance(value, date):
        return value.isoformat()
    return str(value or '')


def csv_number(value):
    """A CSV cell: integers as integers, other numbers rounded to 2 places, '' for nothing."""
    if value is None or value == '':
        return ''
    value = float(value)
    if value.is_integer():
        return int(value)
    return round(value, 2)
