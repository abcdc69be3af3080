"""The pure domain modules must not import Django or Channels."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [ROOT / "chess" / "rules", ROOT / "roulette" / "wheel.py"]
FORBIDDEN = ("django", "channels", "daphne", "asgiref")


def python_files(target: Path) -> list[Path]:
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", ""))
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


@pytest.mark.parametrize("target", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_import_no_framework(target):
    assert target.exists(), f"{target} is part of the architecture and must exist"
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files(target)
        for module in imported_modules(path.read_text())
        if module.split(".")[0] in FORBIDDEN
    }
    assert not offenders


def test_the_guard_catches_a_django_import():
    assert "django.db" in imported_modules("from django.db import models")
    assert "channels" in imported_modules("import channels")
    assert "django.conf" in imported_modules(
        "import importlib\nimportlib.import_module('django.conf')"
    )
