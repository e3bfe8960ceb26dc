"""How long a 10 MB upload takes to validate and score with the current models.

Usage::

    python benchmarks/upload_speed.py --db PATH/TO/TRAINED/w.duckdb [--mb 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.upload_scoring import score_upload  # noqa: E402
from synthetic.shop import generate_events  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a trained and scored warehouse")
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate_events(Path(tmp), customers=3000, days=60, seed=5, file_format="csv")
        text = next(Path(tmp).glob("*.csv")).read_bytes()
        lines = text.split(b"\n")
        header, body = lines[0], [line for line in lines[1:] if line]
        target = int(args.mb * 1_000_000)
        per_line = len(text) / max(len(body), 1)
        keep = min(len(body), int(target / per_line))
        content = header + b"\n" + b"\n".join(body[:keep]) + b"\n"
    print(f"upload: {len(content) / 1e6:.1f} MB, {keep:,} event rows")
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = score_upload(Path(args.db), "events.csv", content, max_bytes=len(content) + 1)
        times.append(time.perf_counter() - started)
        result.path.unlink()
    print(
        f"validated and scored {result.rows:,} {result.kind} in "
        f"median {statistics.median(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)})"
    )


if __name__ == "__main__":
    main()
