#!/usr/bin/perl
# dh sequence add-on for dh-pyrpath: stage a private CPython per package,
# pip-install its pinned requirements and finish the tree, before dh_install.
use warnings;
use strict;
use Debian::Debhelper::Dh_Lib;

insert_before('dh_install', 'dh_pyrpath_buildpython');
insert_before('dh_install', 'dh_pyrpath_pipinstall');
insert_before('dh_install', 'dh_pyrpath_install');
# dh_pyrpath_install sets the binaries of prebuilt (manylinux) wheels aside, out
# of the reach of dh_dwz, dh_strip and dh_shlibdeps; this puts them back and
# adds the Debian libraries they need to ${shlibs:Depends}.
insert_after('dh_shlibdeps', 'dh_pyrpath_prebuilt');
# The SBOM lists the Debian libraries of ${shlibs:Depends}, complete only now;
# it is written before dh_md5sums and dh_builddeb see the tree.
insert_after('dh_pyrpath_prebuilt', 'dh_pyrpath_sbom');

# The private libpython and the libraries inside the tree are not public
# shared libraries: no shlibs entry, no ldconfig trigger for them.
add_command_options('dh_makeshlibs', '-X/lib/libpython3.', '-X/lib/python3.');

# dh_pyrpath_install merges the maintainer's lintian overrides with its own;
# dh_lintian would install the maintainer's file over the merged one, so it
# skips those packages (an executable overrides file stays dh_lintian's).
my @packages = getpackages();
my @merged = grep {
	my $overrides = pkgfile($_, 'lintian-overrides');
	my $pyrpath = -f "debian/$_.pyrpath" || ($_ eq $packages[0] && -f 'debian/pyrpath');
	$pyrpath && $overrides ne '' && ! -x $overrides;
} @packages;
add_command_options('dh_lintian', map { "-N$_" } @merged) if @merged;

1;
