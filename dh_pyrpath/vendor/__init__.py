"""pyrpath vendor: the orig tarballs that make a source package build offline."""
