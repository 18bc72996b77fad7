"""dh-pyrpath: ship a Python service in a .deb on its own CPython."""

__version__ = "0.1.0"
