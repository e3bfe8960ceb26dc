"""The test suite's own layout rules: shared helpers live in tests/support, a conftest only
defines fixtures, and no test module imports from a conftest or from another test module
(pytest may import a test module twice, or in another order, and helpers hidden in test
modules end up copied)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS))
)
def test_nothing_imports_a_conftest_or_a_test_module(path):
    wrong = [
        name
        for name in _imported_modules(path)
        if name.startswith("tests.")
        and (name.rsplit(".", 1)[-1] == "conftest" or name.rsplit(".", 1)[-1].startswith("test_"))
    ]
    assert wrong == [], f"{path.relative_to(TESTS)} imports {wrong}: move it to tests/support"


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


@pytest.mark.parametrize(
    "path", sorted(TESTS.rglob("conftest.py")), ids=lambda p: str(p.relative_to(TESTS))
)
def test_a_conftest_only_defines_fixtures(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    helpers = [
        f.name
        for f in functions
        if not any(_is_fixture(d) for d in f.decorator_list) and not f.name.startswith("pytest_")
    ]
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert helpers + classes == [], f"move {helpers + classes} to tests/support"


def _marks(path: Path) -> set[str]:
    """Marker names in a module's ``pytestmark`` (``pytest.mark.x`` or a list of them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return {n.attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute)} - {"mark"}
    return set()


@pytest.mark.parametrize(
    "path",
    sorted([*TESTS.glob("e2e/test_*.py"), *TESTS.glob("realdata/test_*.py")]),
    ids=lambda p: str(p.relative_to(TESTS)),
)
def test_browser_and_real_data_modules_are_marked_slow(path):
    # `run.sh test-fast` must never start a browser or read a whole dataset.
    assert "slow" in _marks(path), f"{path.relative_to(TESTS)}: add pytestmark = pytest.mark.slow"
