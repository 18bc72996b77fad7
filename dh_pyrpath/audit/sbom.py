"""pyrpath audit's SBOM check of a package tree: there is one, and the tree bears it out."""

from __future__ import annotations

import glob
import os

from dh_pyrpath.audit.findings import Finding, Layout
from dh_pyrpath.sbom.check import NotOurs, check_tree, load_sbom
from dh_pyrpath.sbom.write import SBOM_NAME

WHERE = f"/usr/share/doc/<package>/{SBOM_NAME}"


def sbom_findings(layout: Layout) -> list[Finding]:
    """Findings of kind sbom: none shipped, unreadable, not of this prefix, or contradicted by the tree."""
    paths = sorted(glob.glob(os.path.join(glob.escape(layout.root), "usr", "share", "doc", "*", SBOM_NAME)))
    if not paths:
        return [Finding("sbom", WHERE, "the package carries no SBOM (dh_pyrpath_sbom writes it, after "
                                       "dh_shlibdeps; a package built by an older dh-pyrpath has none)")]
    findings = []
    for path in paths:
        installed = layout.installed(path)
        try:
            sbom = load_sbom(path)
        except (OSError, NotOurs) as exc:
            findings.append(Finding("sbom", installed, f"unreadable as a dh-pyrpath SBOM ({exc})"))
            continue
        if sbom.subject.prefix != layout.prefix:
            findings.append(Finding("sbom", installed, f"describes the prefix {sbom.subject.prefix}, not {layout.prefix}"))
            continue
        findings += [Finding("sbom", m.path, m.detail) for m in check_tree(sbom, layout.root)]
    return findings
