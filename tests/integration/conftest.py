from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.signin import state_with_users
from tests.support.warehouses import add_fake_scores, generated_warehouse


@pytest.fixture(scope="session")
def plain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated shop warehouse without model scores."""
    return generated_warehouse(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="session")
def scored_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated shop warehouse with score tables (fixed formulas, not models)."""
    db = generated_warehouse(tmp_path_factory.mktemp("scored"))
    add_fake_scores(db)
    return db


@pytest.fixture(scope="session")
def users_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app-state store with one user per role (``tests.support.signin.USERS``), built once;
    tests that write take a copy with ``copy_state``."""
    return state_with_users(tmp_path_factory.mktemp("users") / "state.sqlite3")
