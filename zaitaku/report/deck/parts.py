"""Part names for a deck being built: the same names python-pptx gives, without walking the whole
package for each new part.

python-pptx names a new chart, embedded workbook, notes page or theme with
``OpcPackage.next_partname(template)``, which walks every relationship of the package to collect the
names in use: a deck of 45 charts walks it about 130 times over a growing package (a seventh of a
deck's build time). :func:`number_parts_as_added` gives the package a ``next_partname`` that walks
it once per name prefix and then remembers each name it hands out. The names are those python-pptx's
own method returns as long as parts are only added, which is how a deck is built (nothing is
dropped); tests/test_deck_parts.py checks the names against python-pptx's method on a package
built the same way, and that python-pptx still asks ``next_partname`` for them.
"""

from __future__ import annotations

from typing import Any

from pptx.opc.packuri import PackURI


def number_parts_as_added(presentation: Any) -> None:
    """Make ``presentation``'s package hand out part names from memory (see the module docstring).

    For a presentation being built. Were a part dropped, its name would stay taken: the names would still
    be unique, only no longer python-pptx's numbering."""
    package = presentation.part.package
    taken: dict[str, set[str]] = {}  # name prefix -> names in use

    def next_partname(tmpl: str) -> PackURI:
        prefix = tmpl[: (tmpl % 42).find("42")]
        names = taken.get(prefix)
        if names is None:
            names = taken[prefix] = {str(p.partname) for p in package.iter_parts()
                                     if p.partname.startswith(prefix)}
        # python-pptx's rule: from one more than the names in use downward, the first one free
        for n in range(len(names) + 1, 0, -1):
            candidate = tmpl % n
            if candidate not in names:
                names.add(candidate)
                return PackURI(candidate)
        raise ValueError(f"部品名 {tmpl} の番号が見つかりません")

    package.next_partname = next_partname
