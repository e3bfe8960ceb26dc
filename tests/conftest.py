"""Fixtures every tier may use: tiny input files, a build helper, the real datasets'
location and the one really trained warehouse of the session.

Shared helpers and data (``query``, ``EVENT_LOG_HEADER``, ``EVENTS``, sign-in, the browser
server) live in tests/support/; a conftest only defines fixtures, and no test module imports
from a conftest or from another test module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.fixtures_data import shared_data_dir
from tests.support.warehouses import trained_warehouse
from warehouse.build import BuildOptions, BuildResult, build_warehouse


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip(
            "real datasets not found: ../shared/data is absent "
            "(set SHOPSIGHT_SHARED_DATA to run the acceptance tests)"
        )
    return found


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def build(tmp_path: Path) -> Callable[..., BuildResult]:
    """Build a warehouse at tmp_path/'w.duckdb' from the given inputs."""

    def _build(*inputs: Path | str, **options: object) -> BuildResult:
        return build_warehouse(
            tmp_path / "w.duckdb",
            [str(i) for i in inputs],
            BuildOptions(**options),  # type: ignore[arg-type]
        )

    return _build


@pytest.fixture(scope="session")
def trained_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated warehouse with really trained and scored models, built once per
    session for the what-if tests and the browser tests. Tests only read it (uploads are
    scored, never written back), so sharing it cannot leak state between them."""
    return trained_warehouse(tmp_path_factory.mktemp("trained"))
