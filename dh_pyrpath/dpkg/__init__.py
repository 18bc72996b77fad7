"""Step 5: what makes the tree a Debian package: links, lintian overrides, prebuilt binaries, maintainer scripts."""
