"""The one exception type every dh-pyrpath failure is reported with."""


class PyrpathError(Exception):
    """A failure the user can fix; its text is the whole error line.

    Raise it with a message that names the file (and field) at fault and
    what to do about it.  The command runner prints it debhelper-style.
    """


class FieldError(PyrpathError):
    """A bad value of one configuration field, raised where the file is not known.

    The caller that read the file names it: PackageConfig.naming_fields()
    turns it into "debian/<pkg>.pyrpath: <field>: <message>".
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
