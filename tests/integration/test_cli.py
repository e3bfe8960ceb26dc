"""The shopsight command end to end on small generated data."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _lines_until(child: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """The child's output lines up to the first holding ``marker`` (read on a thread, so a
    silent child cannot hang the test past ``seconds``)."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line:
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    seen.wait(seconds)
    assert seen.is_set(), "\n".join(lines[-40:])
    return lines


# Slow: the whole demo (generate, build, train, score, serve) in a subprocess.
@pytest.mark.slow
def test_demo_ends_in_a_box_with_the_url_and_serves_quietly(tmp_path):
    workdir, port = tmp_path / "demo", _free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "demo", "--workdir", str(workdir)]
        + ["--customers", "300", "--days", "60", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = _lines_until(demo, "ShopSight is ready:", 600)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200
        time.sleep(0.5)  # a request line, were one logged, would have arrived by now
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    out = "\n".join(lines) + rest
    steps = [line for line in lines if line.startswith("[")]
    assert [s[:5] for s in steps] == ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"]
    assert [n for n in ("generate", "build", "train", "score") if f"{n} done in" in out] == [
        "generate",
        "build",
        "train",
        "score",
    ]
    box = lines[lines.index(next(x for x in lines if "ShopSight is ready:" in x)) - 1 :]
    assert box[0].startswith("╭") and f"http://127.0.0.1:{port}/" in box[1]
    assert any(f"shopsight report --db {workdir}" in line for line in box)
    assert any("skipped for speed" in line for line in box)
    # The metric tables are `shopsight report`'s; no server banner, no request lines.
    assert "ROC-AUC" not in out and "PR-AUC" not in out
    assert "Serving on" not in out and "development server" not in out.lower()
    assert "GET /" not in out
    sql = "SELECT DISTINCT split_method FROM model_runs WHERE task = 'session_conversion'"
    split = query(workdir / "warehouse.duckdb", sql)
    assert split and all("--fast: the fast candidates only" in s for (s,) in split)


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
