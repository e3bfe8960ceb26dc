"""A stray quote costs one line, never the rest of the file; lines are accounted as well as rows.

DuckDB's reader takes every line after an unterminated quote into one value up to the next
quote, so a 21-row log with a broken row 6 read as "read 6 = loaded 5 + rejected 1": fifteen
good rows gone while the record count still balanced. Here the broken line is rejected alone
with its reason and raw text, the rest loads, and the ledger counts physical lines, so lines =
header + rows (+ blank lines and lines inside real multi-line values) can be checked too.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import zstandard

from dashboard.cli import main
from tests.support.accounting import assert_accounted, event_log, rejected
from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query
from warehouse.csv_lines import scan_records


def row(i: int, category: str = "apparel.shoes") -> str:
    """Data row i (0-based) of the fixture log: one view a minute, product p<i>."""
    return f"2024-03-01 10:{i:02d}:00 UTC,view,p{i},10,{category},acme,19.99,u{i % 3},s{i % 3}"


BROKEN_ROW = '2024-03-01 10:05:00 UTC,view,p5,10,"apparel.shoes,acme,19.99,u2,s2'
"""Row 6 (line 7) with a quote that opens and never closes."""


def broken_log() -> str:
    """The 21-row event log of issue 9 with its broken quote on row 6."""
    rows = [row(i) for i in range(21)]
    rows[5] = BROKEN_ROW
    return event_log(*rows)


def ledger_line(db: Path) -> tuple[object, ...]:
    (found,) = query(
        db, "SELECT rows_read, rows_loaded, rows_rejected, lines_read FROM ingest_ledger"
    )
    return found


def loaded_lines(db: Path) -> dict[str, int]:
    """Product id → the line its event was read from."""
    return {str(p): int(n) for p, n in query(db, "SELECT product_id, source_line FROM events")}


def test_a_broken_quote_on_row_6_rejects_that_line_and_loads_the_other_20(
    write_file, build, tmp_path
):
    path = write_file("broken.csv", broken_log())
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (21, 20, 1, 22)
    rows = rejected(db)
    assert len(rows) == 1
    file, line, column, reason, raw = rows[0]
    assert (file, line, column) == (str(path), 7, "category_code")
    assert reason.startswith("unterminated quote: the value '\"apparel.shoes,acme,19.99,u2,s2'")
    assert "next line is a whole row on its own" in reason
    assert raw == BROKEN_ROW
    # Every other row loads, on its own line: p6 … p20 are not swallowed into row 6.
    lines = loaded_lines(db)
    assert sorted(lines, key=lambda p: int(p[1:])) == [f"p{i}" for i in range(21) if i != 5]
    assert lines["p4"] == 6 and lines["p6"] == 8 and lines["p20"] == 22
    assert_accounted(db)


def test_the_build_and_info_state_the_line_accounting(write_file, tmp_path, capsys):
    path = write_file("broken.csv", broken_log())
    db = tmp_path / "w.duckdb"
    assert main(["build", "--db", str(db), str(path)]) == 0
    built = capsys.readouterr().out
    assert "read 21 = loaded 20 + rejected 1; lines 22 = header 1 + 21 rows" in built
    assert main(["info", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "read 21 = loaded 20 + rejected 1\n      lines 22 = header 1 + 21 rows\n" in shown
    assert "(first at line 7): unterminated quote" in shown


def test_a_quoted_value_with_a_line_break_still_loads_as_one_row(write_file, build, tmp_path):
    # Row 3's category holds a line break: its second line ("shoes",acme,…) is no row on its
    # own, so the value is real and the row is one record over two lines.
    rows = [row(0), row(1), row(2, '"apparel\nshoes"'), row(3), row(4)]
    path = write_file("multi.csv", event_log(*rows, "not a time,view,p9,10,a,acme,1,u1,s1"))
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (6, 5, 1, 8)
    (category,) = query(db, "SELECT category FROM events WHERE product_id = 'p2'")[0]
    assert category == "apparel\nshoes"
    # The rows after it keep their physical lines, and so does a reject.
    assert loaded_lines(db) == {"p0": 2, "p1": 3, "p2": 4, "p3": 6, "p4": 7}
    assert [(r[1], r[2]) for r in rejected(db)] == [(8, "event_time")]
    assert_accounted(db)


def test_blank_lines_are_counted_and_do_not_shift_line_numbers(write_file, build, tmp_path):
    text = event_log(row(0), "", "", row(1), "2024-03-01 10:02:00 UTC,view,p2") + "\n"
    path = write_file("blank.csv", text)
    build(path)
    db = tmp_path / "w.duckdb"
    # lines: header, p0, two blank, p1, the short line, one more blank at the end
    assert ledger_line(db) == (3, 2, 1, 7)
    assert loaded_lines(db) == {"p0": 2, "p1": 5}
    rows = rejected(db)
    assert [(r[1], r[4]) for r in rows] == [(6, "2024-03-01 10:02:00 UTC,view,p2")]
    assert rows[0][3].startswith("too few fields: expected 9, found 3")
    assert_accounted(db)


def test_the_same_broken_quote_in_a_gzip_file(write_file, build, tmp_path):
    path = write_file("broken.csv.gz", gzip.compress(broken_log().encode()))
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (21, 20, 1, 22)
    assert [(r[1], r[2], r[4]) for r in rejected(db)] == [(7, "category_code", BROKEN_ROW)]
    assert loaded_lines(db)["p6"] == 8
    assert_accounted(db)


def test_the_same_broken_quote_in_a_zstd_file(write_file, build, tmp_path):
    path = write_file("broken.csv.zst", zstandard.compress(broken_log().encode()))
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (21, 20, 1, 22)
    assert [r[1] for r in rejected(db)] == [7]
    assert_accounted(db)


def test_a_quote_that_a_later_quoted_value_would_close_still_costs_one_line(
    write_file, build, tmp_path
):
    # The reader would close row 2's quote at row 5's quoted brand and fail there, losing
    # rows 2-5 in one reject; two broken rows, one in the last column, are rejected alone.
    rows = [
        row(0),
        '2024-03-01 10:01:00 UTC,view,p1,10,"apparel.shoes,acme,19.99,u1,s1',
        row(2),
        row(3),
        '2024-03-01 10:04:00 UTC,view,p4,10,apparel.shoes,"acme",19.99,u1,s1',
        '2024-03-01 10:05:00 UTC,view,p5,10,apparel.shoes,acme,19.99,u2,"s2',
        row(6),
    ]
    path = write_file("two.csv", event_log(*rows))
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (7, 5, 2, 8)
    rows_ = rejected(db)
    assert [(r[1], r[2]) for r in rows_] == [(3, "category_code"), (7, "user_session")]
    assert all(r[3].startswith("unterminated quote:") for r in rows_)
    assert loaded_lines(db) == {"p0": 2, "p2": 4, "p3": 5, "p4": 6, "p6": 8}
    assert_accounted(db)


def test_an_unterminated_quote_on_the_last_line_is_one_reject(write_file, build, tmp_path):
    path = write_file("last.csv", event_log(row(0), row(1), BROKEN_ROW))
    build(path)
    db = tmp_path / "w.duckdb"
    assert ledger_line(db) == (3, 2, 1, 4)
    assert [r[1] for r in rejected(db)] == [4]
    assert_accounted(db)


def test_the_scan_tells_broken_lines_from_multi_line_values() -> None:
    header = EVENT_LOG_HEADER.split(",")
    text = event_log(row(0), row(1, '"two\nlines"'), BROKEN_ROW, row(6), "", row(7))
    scan = scan_records(io.BytesIO(text.encode()), ",", header)
    assert scan is not None
    assert [(b.line, b.column) for b in scan.broken] == [(5, "category_code")]
    assert (scan.records, scan.blank_lines, scan.continued_lines) == (4, 1, 1)
    # record 2 starts on line 3 and the reader calls it line 3; record 3 (p6) starts on line
    # 6 but the reader, which never sees the broken line or counts the quoted break, says 4.
    assert scan.shifts == [(1, 1, 1), (3, 1, 3), (4, 2, 4)]
