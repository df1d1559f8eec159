"""Imports point inward only: adapters -> bot -> engine. A reversed import fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOMAIN_WORDS = ("Brief", "tone", "platforms.yaml", "catalog")
FORBIDDEN = {"engine": ("bot", "adapters", "training"), "bot": ("adapters",)}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_inward(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) & set(FORBIDDEN[package]))
        for path in (REPO / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_knows_no_marketing_domain() -> None:
    """The engine is generic: no tones, platforms or briefs in its code."""
    hits = [
        str(path.relative_to(REPO))
        for path in (REPO / "engine").rglob("*.py")
        if any(word in path.read_text(encoding="utf-8") for word in DOMAIN_WORDS)
    ]
    assert hits == []
