"""Compression bombs against the build and the served upload: time to refusal, peak memory.

Makes, in a temporary folder (a piece at a time, so making them takes little memory):

- an XLSX bomb: a ~3 MB workbook whose one sheet of repeated event rows (each with a cell of
  30,000 ``A``) inflates to ~3 GiB;
- a .csv.gz bomb: ~10 MB of gzip holding ~3 GiB of one valid event-log row, repeated;
- the same .csv.gz with its size trailer forged to 100 bytes, so only the streamed count
  can catch it.

For each it measures

(a) ``shopsight build`` of the file in a child process: exit code, wall time to the refusal
    (interpreter start included) and the child's own peak RSS (``wait4``'s ``ru_maxrss``);
(b) a served dashboard (``shopsight serve`` in a child process, demo mode) receiving the file
    through the Data page's upload callback, POSTed over HTTP to ``/_dash-update-component``
    exactly as the browser (and ``tests/support/dash_client.py``) sends it: time to the
    answer, the server's peak RSS before and after (``VmHWM``), and whether ``/healthz``
    still answers.

Usage::

    python benchmarks/bombs.py              # ~3 GiB bombs (about a minute to make them)
    python benchmarks/bombs.py --gib 0.5    # smaller bombs, same paths
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.bombs import (  # noqa: E402
    ROW,
    lie_about_gzip_size,
    write_csv_gz_bomb,
    write_xlsx_bomb,
)
from tests.support.fixtures_data import EVENT_LOG_HEADER  # noqa: E402

CLI = "import sys; from dashboard.cli import main; sys.exit(main(sys.argv[1:]))"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def make_bombs(folder: Path, inflated: int) -> list[Path]:
    started = time.perf_counter()
    xlsx = write_xlsx_bomb(folder / "bomb.xlsx", inflated, filler=30_000)
    gz = write_csv_gz_bomb(folder / "bomb.csv.gz", inflated)
    forged = folder / "forged.csv.gz"
    forged.write_bytes(gz.read_bytes())
    lie_about_gzip_size(forged)
    print(f"made the bombs in {time.perf_counter() - started:.0f} s:")
    for bomb in (xlsx, gz, forged):
        size = bomb.stat().st_size / 2**20
        print(f"  {bomb.name:<14} {size:6.2f} MiB -> {inflated / 2**30:.2f} GiB")
    return [xlsx, gz, forged]


def measure_build(bomb: Path, folder: Path) -> dict[str, Any]:
    """``shopsight build`` of ``bomb`` in a child: exit code, seconds, peak RSS, message."""
    db = folder / f"build-{bomb.stem}" / "w.duckdb"
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, "build", "--db", str(db), str(bomb)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    lines = [line.strip() for line in err.splitlines() if str(bomb) in line]
    message = lines[-1] if lines else err[-300:]
    return {
        "exit": child.returncode,
        "seconds": seconds,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "message": message,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _post(url: str, payload: dict[str, Any], timeout: float = 900.0) -> tuple[int, str]:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tiny_warehouse(folder: Path) -> Path:
    events = folder / "events.csv"
    events.write_text(EVENT_LOG_HEADER + "\n" + ROW, encoding="utf-8")
    db = folder / "served" / "w.duckdb"
    subprocess.run(
        [sys.executable, "-c", CLI, "build", "--db", str(db), str(events)],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
    )
    return db


class Server:
    """``shopsight serve`` in a child process, demo mode, on a free port."""

    def __init__(self, db: Path) -> None:
        self.base = f"http://127.0.0.1:{_free_port()}"
        port = self.base.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLI, "serve", "--db", str(db), "--port", port],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _get(self.base + "/healthz")["ok"]:
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the dashboard did not start within 120 s")

    def alive(self) -> bool:
        try:
            return bool(self.process.poll() is None and _get(self.base + "/healthz")["ok"])
        except OSError:
            return False

    def upload(self, bomb: Path) -> tuple[int, str]:
        """POST the file to the Data page's upload callback, as the browser does."""
        dependencies = _get(self.base + "/_dash-dependencies")
        dep = next(d for d in dependencies if d["output"] == "upload-status.children")
        encoded = (
            "data:application/octet-stream;base64," + base64.b64encode(bomb.read_bytes()).decode()
        )
        values = {"upload.contents": encoded, "upload.filename": bomb.name}

        def spec(item: dict[str, Any]) -> dict[str, Any]:
            key = f"{item['id']}.{item['property']}"
            return {"id": item["id"], "property": item["property"], "value": values.get(key)}

        payload = {
            "output": dep["output"],
            "outputs": {"id": "upload-status", "property": "children"},
            "inputs": [spec(i) for i in dep["inputs"]],
            "state": [spec(s) for s in dep["state"]],
            "changedPropIds": ["upload.contents"],
        }
        return _post(self.base + "/_dash-update-component", payload)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure_upload(server: Server, bomb: Path) -> dict[str, Any]:
    before = _peak_rss_mib(server.process.pid)
    started = time.perf_counter()
    status, body = server.upload(bomb)
    seconds = time.perf_counter() - started
    text = json.dumps(json.loads(body)) if status == 200 else body
    marker = text.find(bomb.name + ":")
    return {
        "status": status,
        "seconds": seconds,
        "peak_rss_before_mib": before,
        "peak_rss_after_mib": _peak_rss_mib(server.process.pid),
        "alive": server.alive(),
        "message": text[marker : marker + 170] if marker >= 0 else text[:200],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gib", type=float, default=3.0, help="how far each bomb inflates")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shopsight-bombs-") as tmp:
        folder = Path(tmp)
        bombs = make_bombs(folder, int(args.gib * 2**30))
        print("\n(a) shopsight build, in a child process")
        for bomb in bombs:
            result = measure_build(bomb, folder)
            print(
                f"  {bomb.name:<14} exit {result['exit']}  {result['seconds']:6.2f} s  "
                f"peak RSS {result['peak_rss_mib']:7.1f} MiB\n    {result['message']}"
            )
        print("\n(b) served dashboard, upload POSTed to the Data page's callback over HTTP")
        server = Server(tiny_warehouse(folder))
        try:
            for bomb in bombs:
                result = measure_upload(server, bomb)
                print(
                    f"  {bomb.name:<14} HTTP {result['status']}  {result['seconds']:6.2f} s  "
                    f"server peak RSS {result['peak_rss_before_mib']:.1f} -> "
                    f"{result['peak_rss_after_mib']:.1f} MiB  "
                    f"still serving: {result['alive']}\n    {result['message']}"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
