"""The shopsight command end to end on small generated data."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import main
from tests.support.warehouses import query

ROOT = Path(__file__).resolve().parents[2]


def shopsight(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


# Slow: five `shopsight` processes (generate, build, info twice, build), each starting cold.
@pytest.mark.slow
def test_generate_build_info_json(tmp_path):
    data, db = tmp_path / "data", tmp_path / "w.duckdb"
    generated = shopsight("generate", "--out", str(data), "--customers", "300", "--days", "60")
    assert generated.returncode == 0, generated.stderr
    assert "wrote" in generated.stdout
    built = shopsight("build", "--db", str(db), str(data))
    assert built.returncode == 0, built.stderr
    assert "read" in built.stdout and "loaded" in built.stdout
    info = shopsight("info", "--db", str(db), "--json")
    assert info.returncode == 0, info.stderr
    payload = json.loads(info.stdout)
    assert set(payload) >= {"build_id", "capabilities", "tables", "sources"}
    assert all(isinstance(v, bool) for v in payload["capabilities"].values())
    assert payload["capabilities"]["has_carts"] is True
    assert payload["tables"]["events"] == query(db, "SELECT count(*) FROM events")[0][0]
    (source,) = payload["sources"]
    assert source["format"] == "event-log"
    assert set(source) >= {"path", "format", "sha256", "rows_read", "rows_loaded", "rows_rejected"}
    assert source["rows_read"] == source["rows_loaded"] + source["rows_rejected"]
    assert len(source["sha256"]) == 64
    human = shopsight("info", "--db", str(db))
    assert "rows read = loaded + rejected" in human.stdout
    assert "cart_abandonment_rate" in human.stdout
    again = shopsight("build", "--db", str(db), str(data))
    assert "nothing to do" in again.stdout


def test_generated_csv_gz_builds_like_parquet(tmp_path):
    size = ["--customers", "200", "--days", "30"]
    assert main(["generate", "--out", str(tmp_path / "p"), *size]) == 0
    assert main(["generate", "--out", str(tmp_path / "c"), *size, "--file-format", "csv"]) == 0
    (csv,) = (tmp_path / "c").glob("*.csv")
    gz = tmp_path / "events.csv.gz"
    gz.write_bytes(gzip.compress(csv.read_bytes()))
    assert main(["build", "--db", str(tmp_path / "p.duckdb"), str(tmp_path / "p")]) == 0
    assert main(["build", "--db", str(tmp_path / "g.duckdb"), str(gz)]) == 0
    sql = "SELECT session_id, events, hits, cart_adds, purchases, revenue FROM sessions ORDER BY 1"
    assert query(tmp_path / "g.duckdb", sql) == query(tmp_path / "p.duckdb", sql)


def test_info_on_a_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    assert main(["info", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no warehouse here" in capsys.readouterr().err


# Slow: the whole demo (generate, build, train, score) in a subprocess.
@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    size = ["--customers", "300", "--days", "60"]
    result = shopsight("demo", "--workdir", str(tmp_path / "demo"), *size, "--no-serve")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "warehouse.duckdb").is_symlink()


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"shopsight {version('shopsight')}"


@pytest.mark.parametrize("command", ["info", "train", "score", "report", "serve", "export"])
def test_db_that_is_a_folder_is_refused_before_any_work(tmp_path, capsys, command):
    extra = ["--cohort", "", "--out", str(tmp_path / "x.csv")] if command == "export" else []
    assert main([command, "--db", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert f"--db {tmp_path} is a folder" in err and "warehouse.duckdb" in err
    assert not (tmp_path / "x.csv").exists()


def test_db_that_is_not_a_warehouse_is_refused(tmp_path, capsys):
    text = tmp_path / "notes.duckdb"
    text.write_text("just some notes\n")
    for command in ("info", "train", "score", "report", "serve"):
        assert main([command, "--db", str(text)]) == 1
        assert "not a ShopSight warehouse (not a DuckDB file)" in capsys.readouterr().err
    inputs = tmp_path / "in"
    inputs.mkdir()
    assert main(["build", "--db", str(tmp_path), str(inputs)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["build", "--db", str(text), str(inputs)]) == 1
    assert "is a regular file, not a warehouse link" in capsys.readouterr().err
    assert text.read_text() == "just some notes\n"


@pytest.mark.slow  # the command in a fresh interpreter
def test_output_into_a_closed_pipe_exits_quietly(scored_db):
    """`shopsight info | head` when head has gone: no BrokenPipeError traceback."""
    child = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "info", "--db", str(scored_db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    child.stdout.close()  # the reader leaves before the first line is written
    _, err = child.communicate(timeout=120)
    assert child.returncode == 1
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()


def test_demo_mode_is_refused_on_a_network_address(scored_db, capsys):
    assert main(["serve", "--db", str(scored_db), "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "loopback" in err and "--no-demo" in err and "--public-demo" in err
