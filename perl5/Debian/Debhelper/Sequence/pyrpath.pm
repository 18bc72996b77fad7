#!/usr/bin/perl
# dh sequence add-on for dh-pyrpath: stage a private CPython per package,
# pip-install its pinned requirements and finish the tree, before dh_install.
use warnings;
use strict;
use Debian::Debhelper::Dh_Lib;

insert_before('dh_install', 'dh_pyrpath_buildpython');
insert_before('dh_install', 'dh_pyrpath_pipinstall');
insert_before('dh_install', 'dh_pyrpath_install');

# The private libpython and the libraries inside the tree are not public
# shared libraries: no shlibs entry, no ldconfig trigger for them.
add_command_options('dh_makeshlibs', '-X/lib/libpython3.', '-X/lib/python3.');

1;
