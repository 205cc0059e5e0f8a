"""The domain never imports the HTTP layer: no fastapi, starlette or atelier.api outside
src/atelier/api/ and app.py, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import atelier

PACKAGE = Path(atelier.__file__).parent
HTTP = ("fastapi", "starlette", "atelier.api")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_outside_the_http_layer_imports_it() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported(path) if name.split(".")[0] in HTTP or name.startswith(HTTP)
        )
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "api" and path.name != "app.py"
    }
    assert {path: names for path, names in offenders.items() if names} == {}
