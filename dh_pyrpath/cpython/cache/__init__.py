"""The cache of relocatable CPython builds: entries, their lock, their manifest, its administration."""
