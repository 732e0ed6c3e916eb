"""The toolkit's own errors, below every module that raises them (no import cycle through a shared error)."""


class UsageError(Exception):
    """A mistake in the command line or the config file: the command exits with status 2."""


class ConfigFileError(UsageError):
    """The config file cannot be read or has no instances (a usage error: exit status 2)."""
