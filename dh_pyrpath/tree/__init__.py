"""Step 4: finishing the private tree: slim, shebangs, RECORD files, bytecode, file times."""
