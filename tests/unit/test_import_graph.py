"""No module of Kasa imports, however indirectly, a module that imports it: every
import goes one way (the layers themselves are import-linter's contracts)."""

from __future__ import annotations

import grimp


def test_no_module_of_kasa_is_part_of_an_import_circle() -> None:
    graph = grimp.build_graph("kasa")
    circles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert circles == []
    assert len(graph.modules) > 100
