"""pyrpath audit: the isolation invariants checked on a built tree or an installed prefix."""
