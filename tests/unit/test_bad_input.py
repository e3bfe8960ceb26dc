"""Bad input gets a clear message naming file, line and column, and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.cli import main
from tests.support.accounting import assert_accounted, event_log, rejected
from tests.support.fixtures_data import EVENT_LOG_HEADER
from tests.support.warehouses import query
from warehouse.errors import NothingLoadedError

GOOD = [
    "2024-03-01 10:00:00 UTC,view,p1,10,apparel.shoes,acme,19.99,u1,s1",
    "2024-03-01 10:01:00 UTC,cart,p1,10,apparel.shoes,acme,19.99,u1,s1",
    "2024-03-01 10:02:00 UTC,purchase,p1,10,apparel.shoes,acme,19.99,u1,s1",
    "2024-03-02 09:00:00 UTC,view,p2,11,home.lamp,,5.50,u2,s2",
]


def test_empty_file_names_the_file_and_exits_non_zero(write_file, tmp_path, capsys):
    empty = write_file("empty.csv", "")
    code = main(["build", "--db", str(tmp_path / "w.duckdb"), str(empty)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(empty) in err and "empty" in err
    assert not (tmp_path / "w.duckdb").exists()


def test_header_only_file_is_reported_with_its_line(write_file, build):
    only_header = write_file("header.csv", EVENT_LOG_HEADER + "\n")
    with pytest.raises(NothingLoadedError) as info:
        build(only_header)
    assert f"{only_header}, line 2: the file has a header but no data rows" in str(info.value)


def test_header_only_file_next_to_a_good_one_is_recorded_not_fatal(write_file, build, tmp_path):
    good = write_file("good.csv", event_log(*GOOD))
    only_header = write_file("header.csv", EVENT_LOG_HEADER + "\n")
    result = build(good, only_header)
    statuses = {Path(s.path).name: (s.status, s.note) for s in result.sources}
    assert statuses["good.csv"][0] == "loaded"
    assert statuses["header.csv"][0] == "failed"
    assert "header but no data rows" in statuses["header.csv"][1]
    assert_accounted(tmp_path / "w.duckdb")


def test_unknown_header_lists_what_was_expected(write_file, build):
    odd = write_file("odd.csv", "foo,bar,baz\n1,2,3\n")
    with pytest.raises(NothingLoadedError) as info:
        build(odd)
    message = str(info.value)
    assert str(odd) in message and "line 1" in message
    assert "found columns foo, bar, baz" in message
    for expected in ("event-log", "uci-clickstream", "online-retail", "ga4-export"):
        assert expected in message


def test_missing_required_column_is_named(write_file, build):
    header = EVENT_LOG_HEADER.replace(",user_session", "")
    lacking = write_file("lacking.csv", header + "\n2024-03-01 10:00:00 UTC,view,p1,1,a,b,1,u1\n")
    with pytest.raises(NothingLoadedError) as info:
        build(lacking)
    assert "lacks required column(s) user_session" in str(info.value)
    assert "event-log" in str(info.value)


def test_wrong_delimiter_in_header_gets_a_hint(write_file, build):
    colon = write_file("colon.csv", EVENT_LOG_HEADER.replace(",", ":") + "\n1:2:3:4:5:6:7:8:9\n")
    with pytest.raises(NothingLoadedError) as info:
        build(colon)
    assert "single column" in str(info.value) and "delimiter" in str(info.value)


def test_data_rows_with_a_different_delimiter_are_rejected_with_line_numbers(write_file, build):
    semicolons = [line.replace(",", ";") for line in GOOD]
    mixed = write_file("mixed.csv", event_log(*semicolons))
    with pytest.raises(NothingLoadedError) as info:
        build(mixed)
    message = str(info.value)
    assert f"{mixed}, line 2" in message
    assert "too few fields: expected 9, found 1" in message


def test_unparsable_timestamp_and_non_numeric_price_are_rejected_with_line_and_column(
    write_file, build, tmp_path
):
    path = write_file(
        "events.csv",
        event_log(
            GOOD[0],
            "yesterday at noon,view,p1,10,apparel.shoes,acme,19.99,u1,s1",
            "2024-03-01 10:05:00 UTC,view,p1,10,apparel.shoes,acme,cheap,u1,s1",
            GOOD[3],
        ),
    )
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert [(r[1], r[2]) for r in rows] == [(3, "event_time"), (4, "price")]
    assert "unparsable timestamp 'yesterday at noon'" in rows[0][3]
    assert rows[1][3] == "non-numeric price 'cheap'"
    assert '"price":"cheap"' in rows[1][4]  # the raw values are kept
    assert all(r[0] == str(path) for r in rows)
    assert_accounted(db)


def test_truncated_last_line_is_rejected_and_the_rest_loads(write_file, build, tmp_path):
    text = event_log(*GOOD) + "2024-03-03 10:00:00 UTC,view,p9"
    path = write_file("cut.csv", text)
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert len(rows) == 1
    assert rows[0][1] == len(GOOD) + 2
    assert "too few fields: expected 9, found 3 (truncated line?)" == rows[0][3]
    assert rows[0][4] == "2024-03-03 10:00:00 UTC,view,p9"
    assert query(db, "SELECT count(*) FROM events")[0][0] == len(GOOD)
    assert_accounted(db)


def test_non_utf8_row_is_rejected_with_an_encoding_hint(write_file, build, tmp_path):
    polish = "2024-03-03 10:00:00 UTC,view,p9,1,dom,Łódź,2,u3,s3\n"
    body = event_log(*GOOD).encode() + polish.encode("cp1250")
    path = write_file("cp1250.csv", body)
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert len(rows) == 1 and rows[0][1] == len(GOOD) + 2
    assert "not valid UTF-8" in rows[0][3] and "Windows-1250" in rows[0][3]
    assert_accounted(db)


def test_non_utf8_header_is_an_error_on_line_1(write_file, build):
    path = write_file("bad_header.csv", "dzień;miesiąc\n1;2\n".encode("cp1250"))
    with pytest.raises(NothingLoadedError) as info:
        build(path)
    assert f"{path}, line 1: the header is not valid UTF-8" in str(info.value)


def test_duplicate_rows_are_rejected_pointing_at_the_first(write_file, build, tmp_path):
    path = write_file("dups.csv", event_log(GOOD[0], GOOD[1], GOOD[0], GOOD[2]))
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert [(r[1], r[3]) for r in rows] == [(4, "duplicate row: same as line 2")]
    assert query(db, "SELECT count(*) FROM events")[0][0] == 3
    assert_accounted(db)


def test_overlapping_files_do_not_count_lines_twice(write_file, build, tmp_path):
    first = write_file("a.csv", event_log(GOOD[0], GOOD[1], GOOD[2]))
    second = write_file("b.csv", event_log(GOOD[2], GOOD[3]))
    build(first, second)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert len(rows) == 1
    assert rows[0][0] == str(second) and rows[0][1] == 2
    assert rows[0][3] == f"duplicate row: already loaded from {first} line 4 (overlapping files)"
    assert query(db, "SELECT count(*) FROM events")[0][0] == 4
    assert_accounted(db)


def test_unknown_event_type_and_negative_price_are_rejected(write_file, build, tmp_path):
    path = write_file(
        "types.csv",
        event_log(
            GOOD[0],
            "2024-03-01 10:01:00 UTC,wishlist,p1,10,apparel.shoes,acme,19.99,u1,s1",
            "2024-03-01 10:02:00 UTC,view,p1,10,apparel.shoes,acme,-3,u1,s1",
        ),
    )
    build(path)
    rows = rejected(tmp_path / "w.duckdb")
    assert rows[0][2] == "event_type" and "unknown event type 'wishlist'" in rows[0][3]
    assert rows[1][2] == "price" and rows[1][3] == "negative price -3"


def test_a_missing_input_path_is_an_error(tmp_path, capsys):
    code = main(["build", "--db", str(tmp_path / "w.duckdb"), str(tmp_path / "nope.csv")])
    assert code == 1
    assert "nope.csv: no such file or folder" in capsys.readouterr().err


def test_nothing_loaded_leaves_the_previous_warehouse_in_place(write_file, build, tmp_path):
    good = write_file("good.csv", event_log(*GOOD))
    first = build(good)
    broken = write_file("broken.csv", event_log("not a time,view,p1,1,a,b,1,u1,s1"))
    with pytest.raises(NothingLoadedError) as info:
        build(broken)
    assert f"{broken}, line 2, column 'event_time'" in str(info.value)
    db = tmp_path / "w.duckdb"
    assert query(db, "SELECT build_id FROM build_info")[0][0] == first.build_id


@pytest.mark.parametrize(("char", "code"), [("\x00", "U+0000"), ("\x1b", "U+001B")])
def test_control_characters_in_identifiers_are_rejected_never_stored(
    write_file, build, tmp_path, char, code
):
    bad = f"2024-03-01 10:03:00 UTC,view,p1,10,apparel.shoes,acme,19.99,u{char}1,s1"
    path = write_file("ids.csv", event_log(GOOD[0], bad, GOOD[3]).encode())
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert [(r[0], r[1], r[2]) for r in rows] == [(str(path), 3, "user_id")]
    assert rows[0][3] == f"control character {code} in identifier 'user_id': " + (
        "identifiers must be printable text"
    )
    assert f'"user_id":"u\\u{code[2:]}1"'.lower() in rows[0][4].lower()  # raw, escaped
    assert char not in rows[0][4]
    stored = query(db, "SELECT count(*) FROM events WHERE customer_id LIKE 'u%1'")[0][0]
    assert stored == 1  # only the good u1 rows; nothing holding the character
    assert query(
        db, "SELECT count(*) FROM events WHERE contains(customer_id, $c)", {"c": char}
    ) == [(0,)]
    assert_accounted(db)


def test_control_characters_in_parquet_identifiers_are_rejected(tmp_path, build):
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = EVENT_LOG_HEADER.split(",")
    values = [line.split(",") for line in GOOD]
    values[1][8] = "s\x001"  # user_session of the second row
    table = pa.table({c: [row[i] for row in values] for i, c in enumerate(columns)})
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    build(path)
    db = tmp_path / "w.duckdb"
    rows = rejected(db)
    assert [(r[1], r[2]) for r in rows] == [(2, "user_session")]
    assert "control character U+0000" in rows[0][3]
    assert query(db, "SELECT count(*) FROM events")[0][0] == len(GOOD) - 1
    assert_accounted(db)
