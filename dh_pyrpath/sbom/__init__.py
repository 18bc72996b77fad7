"""The software bill of materials: what went into a tree, written at build time, read by audit and inventory."""
