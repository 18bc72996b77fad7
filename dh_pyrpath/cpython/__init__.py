"""Step 1: obtain CPython's source, build it relocatable, cache the build, stage it for a package."""
