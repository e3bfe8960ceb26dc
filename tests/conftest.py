"""Shared fixtures: tiny input files, a build helper and the real datasets' location."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from warehouse.build import BuildOptions, BuildResult, build_warehouse

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``../shared/data`` next to the checkout, or $SHOPSIGHT_SHARED_DATA."""
    candidates = [
        os.environ.get("SHOPSIGHT_SHARED_DATA"),
        str(ROOT.parent / "shared" / "data"),
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip(
            "real datasets not found: ../shared/data is absent "
            "(set SHOPSIGHT_SHARED_DATA to run the acceptance tests)"
        )
    return found


EVENT_LOG_HEADER = (
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
)


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


def query(db: Path, sql: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    """Run a read-only query against a built warehouse."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.sql(sql, params=params) if params else con.sql(sql)
        return rel.fetchall()
    finally:
        con.close()
