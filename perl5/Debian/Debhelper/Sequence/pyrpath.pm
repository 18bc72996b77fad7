#!/usr/bin/perl
# dh sequence add-on for dh-pyrpath.  Debian's model: the build target compiles,
# unprivileged; the binary target installs, possibly under fakeroot.  So the
# private CPython is staged and the pinned requirements and the project are
# pip-installed into it in the build target, outside debian/<package>; the
# binary target puts the staged tree into debian/<package> and finishes it.
use warnings;
use strict;
use Debian::Debhelper::Dh_Lib;

insert_after('dh_auto_build', 'dh_pyrpath_buildpython');
insert_after('dh_pyrpath_buildpython', 'dh_pyrpath_pipinstall');
insert_before('dh_install', 'dh_pyrpath_install');
# dh_pyrpath_install sets the binaries of prebuilt (manylinux) wheels aside, out
# of the reach of dh_dwz, dh_strip and dh_shlibdeps; this puts them back and
# adds the Debian libraries they need to ${shlibs:Depends}.
insert_after('dh_shlibdeps', 'dh_pyrpath_prebuilt');
# The SBOM lists the Debian libraries of ${shlibs:Depends}, complete only now;
# it is written before dh_md5sums and dh_builddeb see the tree.
insert_after('dh_pyrpath_prebuilt', 'dh_pyrpath_sbom');

# The add-on owns the build system (a setup.py must not select python_distutils);
# a --buildsystem the maintainer gives dh is passed after this one and wins.
foreach my $command (qw(dh_auto_configure dh_auto_build dh_auto_test dh_auto_install dh_auto_clean)) {
	add_command_options($command, '--buildsystem=pyrpath');
}

# The private libpython and the libraries inside the tree are not public
# shared libraries: no shlibs entry, no ldconfig trigger for them.
add_command_options('dh_makeshlibs', '-X/lib/libpython3.', '-X/lib/python3.');

my @packages = getpackages();

# The package's dh-pyrpath configuration file (debian/<pkg>.pyrpath, or
# debian/pyrpath for the main package: Dh_Lib's pkgfile rule), or undef.
sub pyrpath_file {
	my ($package) = @_;
	my $file = pkgfile($package, 'pyrpath');
	return $file ne '' ? $file : undef;
}

# The Prefix field of a configuration file (field names are case-insensitive),
# else the default /opt/<pkg>.
sub pyrpath_prefix {
	my ($package, $file) = @_;
	open(my $fd, '<', $file) or return "/opt/$package";
	while (my $line = <$fd>) {
		if ($line =~ m/^prefix\s*:\s*(\S+)\s*$/i) {
			close($fd);
			(my $prefix = $1) =~ s{/+$}{};
			return $prefix;
		}
	}
	close($fd);
	return "/opt/$package";
}

my @handled = grep { defined pyrpath_file($_) } @packages;

# Whether a configuration file makes its package a runtime package (a Runtime field).
sub pyrpath_runtime {
	my ($file) = @_;
	open(my $fd, '<', $file) or return 0;
	my $found = grep { m/^runtime\s*:\s*\S/i } <$fd>;
	close($fd);
	return $found;
}

# A runtime package ships its CPython tree as a cache entry holds it, and its
# manifest describes the files as built: nothing strips, rewrites or
# re-permissions /usr/lib/pyrpath/<package>/ (each service strips its copy).
my @runtimes = grep { pyrpath_runtime(pyrpath_file($_)) } @handled;
foreach my $command (qw(dh_strip dh_dwz dh_fixperms dh_strip_nondeterminism)) {
	add_command_options($command, map { "-X/usr/lib/pyrpath/$_/" } @runtimes) if @runtimes;
}

# Static-Built-Using names the CPython each package carries (dh_pyrpath_install
# sets the substvar).  dh_gencontrol applies no substvar to that field by
# itself at compat 13; dpkg-gencontrol drops the field when it is empty.  (An
# override_dh_gencontrol must pass this option itself.)
add_command_options('dh_gencontrol',
	'--dpkg-gencontrol-params=-DStatic-Built-Using=${pyrpath:Static-Built-Using}') if @handled;

# dh_pyrpath_install merges the maintainer's lintian overrides with its own;
# dh_lintian would install the maintainer's file over the merged one, so it
# skips those packages (an executable overrides file stays dh_lintian's).
my @merged = grep {
	my $overrides = pkgfile($_, 'lintian-overrides');
	$overrides ne '' && ! -x $overrides;
} @handled;
add_command_options('dh_lintian', map { "-N$_" } @merged) if @merged;

# dh-pyrpath makes the private tree deterministic itself (one file time,
# checked-hash bytecode, wheels as they were published), and
# dh_strip_nondeterminism runs file(1) once for every file it walks, which is
# most of its time on a CPython tree: it skips each private tree.  A Prefix
# given on the command line instead of the file only makes it walk the tree.
add_command_options('dh_strip_nondeterminism',
	map { '-Xdebian/' . $_ . pyrpath_prefix($_, pyrpath_file($_)) . '/' } @handled) if @handled;

1;
