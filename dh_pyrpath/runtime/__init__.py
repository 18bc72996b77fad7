"""Runtime packages: CPython built once per site as a Debian package (pyrpath runtime init), services copy it."""
