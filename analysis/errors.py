"""The one exception type a user sees: a single line that names the file, column or key."""


class UserError(Exception):
    """Bad input or configuration. The CLI prints `error: <message>` and exits with status 2."""
