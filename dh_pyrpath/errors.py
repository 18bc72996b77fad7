"""The one exception type every dh-pyrpath failure is reported with."""


class PyrpathError(Exception):
    """A failure the user can fix; its text is the whole error line.

    Raise it with a message that names the file (and field) at fault and
    what to do about it.  The command runner prints it debhelper-style.
    """


def where(path: str, field: str | None = None) -> str:
    """Format the 'file: field: ' prefix used by configuration errors."""
    return f"{path}: {field}: " if field else f"{path}: "
