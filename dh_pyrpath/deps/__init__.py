"""Step 2: the pinned requirements, pip-installed into the staged interpreter, sdists compiled against it."""
