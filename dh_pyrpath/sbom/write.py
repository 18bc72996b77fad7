"""Write a package's SBOM into its tree, refusing one that would carry a build path."""

from __future__ import annotations

import os

from dh_pyrpath.errors import PyrpathError
from dh_pyrpath.sbom.model import Sbom, document, dumps
from dh_pyrpath.tree.filetimes import source_date_epoch

SBOM_NAME = "sbom.cdx.json"


def installed_sbom_path(package: str) -> str:
    """Where a package's SBOM is installed."""
    return f"/usr/share/doc/{package}/{SBOM_NAME}"


def sbom_path(destdir: str, package: str) -> str:
    return os.path.join(destdir, installed_sbom_path(package).lstrip("/"))


def refuse_build_paths(text: str, path: str, build_paths: list[str]) -> None:
    for build_path in build_paths:
        if build_path and build_path != "/" and build_path in text:
            raise PyrpathError(f"{path}: would contain the build path {build_path}; a dh-pyrpath bug or a "
                               "package recording its build path: please report it")


def write_sbom(sbom: Sbom, destdir: str, build_paths: list[str]) -> str:
    """Write the document (mode 0644, dated SOURCE_DATE_EPOCH); return its path in the package tree."""
    package = sbom.subject.name
    path = sbom_path(destdir, package)
    directory = os.path.dirname(path)
    if os.path.islink(directory):
        raise PyrpathError(f"{directory}: is a symbolic link (dh_installdocs --link-doc); the SBOM needs "
                           f"{package}'s own documentation directory: drop --link-doc for {package}")
    text = dumps(document(sbom))
    refuse_build_paths(text, path, [os.path.abspath(destdir), *build_paths])
    os.makedirs(directory, exist_ok=True)
    with open(path + ".new", "w", encoding="utf-8") as fd:
        fd.write(text)
    os.chmod(path + ".new", 0o644)
    os.replace(path + ".new", path)
    epoch = source_date_epoch()
    if epoch is not None:
        os.utime(path, (epoch, epoch))
    return path
