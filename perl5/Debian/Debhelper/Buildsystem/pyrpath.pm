# The debhelper build system of sources built with dh-pyrpath.
#
# The private CPython, the pinned requirements and the project's own wheel
# are built by the dh_pyrpath_* commands the sequence add-on inserts into the
# build target; no dh_auto_* step builds them.  What this build system is for:
# a top-level setup.py must not make debhelper drive the project through its
# python_distutils build system (refused at compat 12 and later), while the
# other build files of a source (a Makefile for the documentation, autoconf,
# CMake, meson...) keep working as they would without the add-on.  So each
# step goes to the build system debhelper would pick among all the others,
# and does nothing when there is none.  The sequence selects this build
# system for dh_auto_*; a --buildsystem given to dh by the maintainer comes
# later on the command line and wins.
package Debian::Debhelper::Buildsystem::pyrpath;

use strict;
use warnings;
use parent 'Debian::Debhelper::Buildsystem';
use Debian::Debhelper::Dh_Lib;
use Debian::Debhelper::Dh_Buildsystems qw(load_buildsystem);

sub DESCRIPTION {
	'dh-pyrpath private CPython (other build files as debhelper would pick them)';
}

# Never picked by itself: the pyrpath sequence names it.
sub check_auto_buildable {
	return 0;
}

# The build system debhelper would auto-select for this step, python_distutils aside.
sub delegate {
	my ($this, $step) = @_;
	my @others = grep { $_ ne 'python_distutils' } @Debian::Debhelper::Dh_Buildsystems::BUILDSYSTEMS;
	my @candidates = grep { defined } map { load_buildsystem($_, $step) } @others;
	return Debian::Debhelper::Dh_Buildsystems::autoselect_buildsystem($step, @candidates);
}

sub run_delegated {
	my ($this, $step, @args) = @_;
	my $other = $this->delegate($step);
	return if not defined $other;
	verbose_print("dh-pyrpath: $step step of the " . $other->NAME . ' build system');
	$other->pre_building_step($step);
	$other->$step(@args);
	$other->post_building_step($step);
}

sub configure { my $this = shift; $this->run_delegated('configure', @_); }
sub build { my $this = shift; $this->run_delegated('build', @_); }
# The opt-in tests of the packages that have a Test-Command (dh_pyrpath_test, with
# their private interpreter; dh_auto_test has already returned on nocheck), then
# those of the other build files.
sub test {
	my $this = shift;
	# The packages dh_auto_test acts on (-a in build-arch, -i in build-indep, -p/-N).
	my @packages = map { "-p$_" } @{$dh{DOPACKAGES}};
	$this->doit_in_sourcedir('dh_pyrpath_test', @packages) if @packages;
	$this->run_delegated('test', @_);
}
sub install { my $this = shift; $this->run_delegated('install', @_); }
sub clean { my $this = shift; $this->run_delegated('clean', @_); }

1;
