"""Shared by the benchmark scripts: run a measurement in a fresh child process, so its peak
memory (ru_maxrss) is its own and not the parent's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_child(code: str, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run ``code`` as ``python -c code kind json(args)``; it prints one JSON line last."""
    out = subprocess.run(
        [sys.executable, "-c", code, kind, json.dumps(args)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result
