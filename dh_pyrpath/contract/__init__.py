"""The debhelper contract, both directions: the invocation and debian/control in; the files, substvars, maintainer-script snippets and the one command runner out."""
