"""api-service: a small WSGI API, the dh-pyrpath benchmark fixture with 33 pinned dependencies."""

__version__ = "1.0.0"
