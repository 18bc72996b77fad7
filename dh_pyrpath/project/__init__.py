"""Step 3: the service's own project: its wheel, built and installed, and its test suite."""
