"""The rules package imports nothing but the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import chess.rules

PACKAGE = Path(chess.rules.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_rules_import_only_the_standard_library() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(PACKAGE.glob("*.py"))
        for module in _imports(path)
        if module.split(".")[0] not in sys.stdlib_module_names
        and not module.startswith("chess.rules")
    }
    assert not offenders


def test_public_api_is_re_exported() -> None:
    for name in ["Board", "Move", "Outcome", "IllegalMoveError", "perft"]:
        assert name in chess.rules.__all__
        assert hasattr(chess.rules, name)
    assert issubclass(chess.rules.IllegalMoveError, ValueError)
