"""Import direction: nothing below the dashboard imports Dash (import-linter checks the
imports as written; this checks what actually loads)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lower_layer_modules() -> list[str]:
    names = []
    for package in ("common", "warehouse", "synthetic", "models", "analytics", "appstate"):
        names.append(package)
        for module in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            names.append(module.name)
    return names


@pytest.mark.slow  # imports every lower module, scikit-learn and XGBoost too, afresh
def test_lower_layers_do_not_import_dash():
    modules = lower_layer_modules()
    assert "warehouse.build" in modules and "warehouse.reader" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'dash' or m.startswith('dash.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "", f"dash imported by a lower layer: {result.stdout}"


def test_the_build_command_does_not_load_dash():
    script = (
        "import sys\nfrom dashboard.cli import build_parser\nbuild_parser()\n"
        "print('dash' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "False"
