"""Numbers as a person reads them: no scientific notation, thousands separated, at most four significant
decimals (1234567 -> '1,234,567'; 0.000123 -> '0.000123'; 2.5e-9 -> '0')."""


def readable(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if value != value or value in (float('inf'), float('-inf')):
        return str(value)
    if value.is_integer():
        return f'{int(value):,}'
    magnitude = abs(value)
    if magnitude >= 100:
        text = f'{value:,.1f}'
    elif magnitude >= 1:
        text = f'{value:,.3f}'
    else:
        text = f'{value:.6f}'
    text = text.rstrip('0').rstrip('.')
    return '0' if text in ('-0', '') else text
