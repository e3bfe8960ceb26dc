"""Compression bombs are measured and refused before any parser sees them (issue 10, item 1).

The real bombs (3 MB → 3 GiB) are measured by ``benchmarks/bombs.py``; here the same files,
scaled down, meet ceilings scaled down the same way, so the refusal paths run in seconds.
"""

from __future__ import annotations

import gzip
import resource
import zipfile

import pytest
import zstandard

import warehouse.inflation as inflation
from dashboard.cli import main
from tests.support.bombs import ROW, lie_about_gzip_size, write_csv_gz_bomb, write_xlsx_bomb
from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query
from warehouse.inflation import InflationError, InflationLimits, check_inflation
from warehouse.sources import classify

MiB = 2**20
SMALL = InflationLimits(xlsx_bytes=4 * MiB, text_bytes=4 * MiB, ratio_floor_bytes=MiB)


@pytest.fixture
def small_limits(monkeypatch):
    """The build's default ceilings, scaled down to the test bombs."""
    monkeypatch.setattr(inflation, "DEFAULT_LIMITS", SMALL)
    return SMALL


def test_xlsx_bomb_is_refused_by_its_declared_size_before_reading(tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 64 * MiB)
    assert bomb.stat().st_size < MiB  # a small file...
    with zipfile.ZipFile(bomb) as archive:  # ...that says honestly what it holds
        assert sum(e.file_size for e in archive.infolist()) > 64 * MiB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InflationError) as info:
        check_inflation(classify(bomb), SMALL)
    message = str(info.value)
    assert str(bomb) in message and "the workbook declares 6" in message
    assert "over the limit of 4.0 MiB uncompressed" in message
    # Refused from the zip directory: nothing close to the content was held in memory.
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 32 * 1024


def test_a_gzip_that_lies_about_its_size_is_refused_while_streaming(tmp_path):
    bomb = lie_about_gzip_size(write_csv_gz_bomb(tmp_path / "rows.csv.gz", 32 * MiB))
    with gzip.open(bomb) as fh:  # the trailer now claims 100 bytes
        assert fh.read(200)
    with pytest.raises(InflationError) as info:
        check_inflation(classify(bomb), SMALL)
    assert "inflates further, over the limit of 4.0 MiB" in str(info.value)


def test_zstd_frames_after_the_first_count_too(tmp_path):
    # Two frames: a small honest first one and a big second one; both are streamed.
    compressor = zstandard.ZstdCompressor()
    first = compressor.compress((EVENT_LOG_HEADER + "\n" + ROW).encode())
    second = compressor.compress(ROW.encode() * (8 * MiB // len(ROW)))
    path = tmp_path / "frames.csv.zst"
    path.write_bytes(first + second)
    # The ratio ceiling decides here: 200 x a 1 KB file is below the 1 MiB floor.
    with pytest.raises(InflationError, match="over the limit of 1.0 MiB"):
        check_inflation(classify(path), SMALL)


def test_an_ordinary_compressed_file_passes_with_its_size_and_rows(tmp_path):
    path = tmp_path / "ok.csv.gz"
    path.write_bytes(gzip.compress((EVENT_LOG_HEADER + "\n" + ROW * 3).encode()))
    measured = check_inflation(classify(path), SMALL)
    assert measured.rows == 3
    assert measured.bytes == len(EVENT_LOG_HEADER) + 1 + 3 * len(ROW)


def test_a_row_ceiling_refuses_early(tmp_path):
    path = tmp_path / "many.csv.gz"
    path.write_bytes(gzip.compress((EVENT_LOG_HEADER + "\n" + ROW * 50).encode()))
    with pytest.raises(InflationError, match="more than 10 data rows"):
        check_inflation(classify(path), InflationLimits(max_rows=10))


def test_xlsx_rows_are_counted_across_piece_boundaries(tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "rows.xlsx", 3 * MiB)  # several 1 MiB pieces
    measured = check_inflation(classify(bomb), InflationLimits())
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in ROW.strip().split(","))
    row_bytes = len("<row>" + cells + "</row>")
    per_piece = MiB // row_bytes
    pieces = -(-3 * MiB // (per_piece * row_bytes))
    assert measured.rows == pieces * per_piece


def test_build_of_an_xlsx_bomb_exits_1_naming_the_file_and_the_limit(
    tmp_path, capsys, small_limits
):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 64 * MiB)
    code = main(["build", "--db", str(tmp_path / "w.duckdb"), str(bomb)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(bomb) in err and "over the limit of 4.0 MiB uncompressed" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_build_of_a_csv_gz_bomb_exits_1_and_a_good_file_beside_it_loads(
    tmp_path, capsys, small_limits, write_file
):
    bomb = write_csv_gz_bomb(tmp_path / "bomb.csv.gz", 64 * MiB)
    code = main(["build", "--db", str(tmp_path / "w.duckdb"), str(bomb)])
    assert code == 1
    assert f"{bomb}: it declares 6" in capsys.readouterr().err

    good = write_file("good.csv", EVENT_LOG_HEADER + "\n" + ROW)
    code = main(["build", "--db", str(tmp_path / "w.duckdb"), str(good), str(bomb)])
    assert code == 0
    ledger = query(
        tmp_path / "w.duckdb", "SELECT status, note FROM ingest_ledger ORDER BY file_order"
    )
    statuses = {status for status, _ in ledger}
    assert statuses == {"loaded", "failed"}
    assert any("over the limit" in note for _, note in ledger)
