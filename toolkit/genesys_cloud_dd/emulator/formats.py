"""Date formats as the platform writes them."""

from datetime import datetime, timezone


def utc(epoch_seconds: float) -> datetime:
    """An epoch timestamp (the emulator clock's time()) as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)


def iso_ms(when: datetime) -> str:
    """2025-06-01T10:00:00.000Z, the form Genesys uses for datetime fields."""
    when = when.astimezone(timezone.utc)
    return when.strftime('%Y-%m-%dT%H:%M:%S.') + f'{when.microsecond // 1000:03d}Z'


def iso_date(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime('%Y-%m-%d')


def iso_interval(start: datetime, end: datetime) -> str:
    return f'{iso_ms(start)}/{iso_ms(end)}'
