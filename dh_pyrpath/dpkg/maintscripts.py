"""What dh-pyrpath's maintainer-script snippets say (contract.files.add_snippet writes them).

They remove only what the package or its own scripts wrote: a system
directory (dh_pyrpath.prefixes) is never removed, and purge removes the
prefix only when dpkg says no other installed package owns files below it.
"""

from __future__ import annotations

import shlex

from dh_pyrpath.dpkg.pycache import command as pycache_command
from dh_pyrpath.prefixes import system_directory

def other_owners(prefix: str, package: str) -> str:
    """sh: the names of the other installed packages that own prefix or a path below it, space-separated."""
    return (f"dpkg-query -S {shlex.quote(prefix)} {shlex.quote(prefix + '/*')} 2>/dev/null | grep -v '^diversion by' "
            "| sed -n 's|: /.*||p' | tr ',' '\\n' | sed -e 's/^ *//' -e 's/:.*//' "
            f"| grep -vxF {shlex.quote(package)} | sort -u | tr '\\n' ' '")


def purge_prefix_snippet(prefix: str, package: str) -> str:
    """postrm: on purge, remove the prefix with what the service left in it, unless it is not ours alone."""
    quoted = shlex.quote(prefix)
    reason = system_directory(prefix)
    if reason:  # config refuses such a prefix; never write an rm for one
        return (f'if [ "$1" = "purge" ]; then\n'
                f'\techo "{package}: left {prefix} in place: it is a system directory ({reason})" >&2\n'
                "fi")
    return (
        f'if [ "$1" = "purge" ] && [ -d {quoted} ]; then\n'
        f"\tpyrpath_owners=$({other_owners(prefix, package)} || true)\n"
        '\tif [ -z "$pyrpath_owners" ]; then\n'
        f"\t\trm -rf {quoted}\n"
        "\telse\n"
        f'\t\techo "{package}: left {prefix} in place: installed package(s) ${{pyrpath_owners% }} own it or files '
        f'below it; {package}\'s own files are removed, what its service wrote there is kept" >&2\n'
        "\tfi\n"
        "fi"
    )


def compile_snippet(python: str, prefix: str, package: str) -> str:
    """postinst: compile the package's own .py files under the prefix; never fail the installation for it."""
    return (
        'if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] '
        '|| [ "$1" = "abort-remove" ]; then\n'
        f"\tif [ -x {shlex.quote(python)} ]; then\n"
        f"\t\t{pycache_command(python, 'compile', prefix, package)} \\\n"
        f'\t\t\t|| echo "{package}: bytecode not compiled; the service runs from source" >&2\n'
        "\tfi\n"
        "fi"
    )


def clean_snippet(python: str, prefix: str, package: str) -> str:
    """prerm: remove the .pyc files postinst (or the running service) wrote for the package's own .py files."""
    return (
        f"if [ -x {shlex.quote(python)} ]; then\n"
        f"\t{pycache_command(python, 'clean', prefix, package)} \\\n"
        f'\t\t|| echo "{package}: bytecode under {prefix} not removed" >&2\n'
        "fi"
    )
