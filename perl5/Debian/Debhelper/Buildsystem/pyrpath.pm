# The debhelper build system of sources built with dh-pyrpath.
#
# The private CPython, the pinned requirements and the project's own wheel
# are built by the dh_pyrpath_* commands the sequence add-on inserts into the
# build target; no dh_auto_* step builds them.  What this build system is for:
# a top-level setup.py must not make debhelper drive the project through its
# python_distutils build system (refused at compat 12 and later), and a
# Python project's developer Makefile (make clean, make test running tox)
# must not be run either.  So configure, build, install and clean do
# nothing, and test runs the packages' opt-in Test-Command (dh_pyrpath_test).
# The sequence selects this build system for dh_auto_*; a --buildsystem the
# maintainer gives dh (a Makefile that builds the documentation) comes later
# on the command line and wins.
package Debian::Debhelper::Buildsystem::pyrpath;

use strict;
use warnings;
use parent 'Debian::Debhelper::Buildsystem';
use Debian::Debhelper::Dh_Lib;

sub DESCRIPTION {
	'dh-pyrpath private CPython (the dh_pyrpath_* commands build it)';
}

# Never picked by itself: the pyrpath sequence names it.
sub check_auto_buildable {
	return 0;
}

# The opt-in tests of the packages that have a Test-Command, with their private
# interpreter (dh_auto_test has already returned on nocheck).
sub test {
	my $this = shift;
	# The packages dh_auto_test acts on (-a in build-arch, -i in build-indep, -p/-N).
	my @packages = map { "-p$_" } @{$dh{DOPACKAGES}};
	$this->doit_in_sourcedir('dh_pyrpath_test', @packages) if @packages;
}

1;
