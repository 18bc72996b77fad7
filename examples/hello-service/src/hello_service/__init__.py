"""hello-service: the dh-pyrpath example service."""

__version__ = "1.0.0"
