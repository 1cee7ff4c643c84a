"""A griffe extension for the API reference: a name in backticks becomes a link.

harborsec's docstrings are written to read well as plain text (`help(harborsec)`, an editor's
hover), so they name other objects in backticks only: `Registry.resolve`,
`PlatformNotFoundError`, or `apply` for a method of the same class. When mkdocstrings builds the
reference, this extension turns each such name that is documented on one of the reference pages
into a cross-reference, so the site keeps its links while the source stays plain.

A name is looked up, in order: as a member of the class the docstring belongs to (or of the
class of the documented method), then under each documented package (`harborsec`,
`harborsec.oci`, ...). Names that match nothing stay plain code; code blocks and text already
in brackets are left alone.

Used by mkdocs.yml (`extensions:` of the python handler); not part of the package.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROOTS = (
    "harborsec",
    "harborsec.oci",
    "harborsec.harbor",
    "harborsec.policy",
    "harborsec.testing",
    "harborsec.errors",
)
"""The modules the reference pages document (`::: name`), whose public names are rendered."""

_NAME = re.compile(
    r"(?<![\[\w`])`(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?P<call>\(\))?`"
    r"(?![\]\w`])"
)
_FENCE = re.compile(r"^(\s*)(```|~~~)")


class PlainCrossrefs(griffe.Extension):
    """Rewrite backticked names in docstrings into autorefs cross-references."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Index what the reference renders, then rewrite every docstring of the package."""
        if pkg.name != "harborsec":
            return
        rendered = _rendered(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj, obj.docstring.value, rendered)


def _rendered(pkg: griffe.Module) -> set[str]:
    """The identifiers the reference pages render: each root's public members, and theirs."""
    paths: set[str] = set()
    for root_path in _ROOTS:
        root = pkg if root_path == pkg.path else pkg.get_member(root_path.split(".", 1)[1])
        for name, member in root.members.items():
            if name.startswith("_") or not _exported(root, name):
                continue
            path = f"{root_path}.{name}"
            paths.add(path)
            target = member.final_target if member.is_alias else member
            if isinstance(target, griffe.Class):
                for sub in target.all_members:
                    if not sub.startswith("_"):
                        paths.add(f"{path}.{sub}")
    return paths


def _exported(module: griffe.Module, name: str) -> bool:
    exports = module.exports
    return exports is None or name in exports


def _walk(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if member.is_alias:
            continue
        found.extend(_walk(member))  # type: ignore[arg-type]
    return found


def _candidates(obj: griffe.Object, name: str) -> list[str]:
    owner = obj if isinstance(obj, griffe.Class) else obj.parent
    scopes: list[str] = []
    if isinstance(owner, griffe.Class):
        for root in _ROOTS:
            scopes.append(f"{root}.{owner.name}.{name}")
    scopes.extend(f"{root}.{name}" for root in _ROOTS)
    return scopes


def _rewrite(obj: griffe.Object, text: str, rendered: set[str]) -> str:
    out: list[str] = []
    fenced = False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or line.lstrip().startswith(">>>"):
            out.append(line)
            continue

        def link(match: re.Match[str]) -> str:
            name = match.group("name")
            for candidate in _candidates(obj, name):
                if candidate in rendered:
                    return f"[{match.group(0)}][{candidate}]"
            return match.group(0)

        out.append(_NAME.sub(link, line))
    return "".join(out)
