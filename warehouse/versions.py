"""Versioned warehouse files and the atomic swap of the ``--db`` link.

The ``--db`` path is a symlink to ``<stem>.<version>.duckdb``. Whatever writes a warehouse, a
build or scoring, writes a new version file, checkpoints and closes it, and only then repoints
the link (``os.replace`` of a temporary link), so a reader sees the old version or the new one,
never a half-written file. The previous version is kept for rollback; older ones are removed
once past a grace period, giving readers that still hold them time to notice the swap.

Which version is "previous" comes from the record of swaps, ``.<stem>.builds.json`` next to
the link (the versions in the order they went live), never from file times: a build that
crashed (killed, out of memory, an abort in native code) leaves a newer file that never
went live. Such a file carries the marker ``.<version>.writing`` (the writer's process id)
from before its first byte until its swap or its clean-up, so the next writer that starts
can tell it from a build still running and delete it, its ``.wal`` and its temp folder.

Scoring adds tables to the current build through :func:`derived_version`: writing into the
file a dashboard holds read-only would fail (DuckDB refuses a read-only open while a writer
holds the file), so the current file is copied and the copy written.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from common.errors import ShopSightError
from warehouse.engine import connect, load_sql
from warehouse.errors import WarehouseNotFoundError


@contextmanager
def writing_version(
    db_path: Path,
    version_path: Path,
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    keep_seconds: float = 600.0,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to ``version_path``; on success swap it in at ``db_path``.

    On any error the half-written version and its temp folder are removed and the link is
    left where it was. Partial files of earlier writers that crashed are removed first.
    """
    remove_crashed_versions(db_path)
    temp_dir = version_path.with_name(f".{version_path.stem}.tmp")
    with _writing_marker(version_path):
        con = connect(
            version_path, threads=threads, memory_limit=memory_limit, temp_directory=temp_dir
        )
        try:
            yield con
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            _remove_version(version_path)
            raise
        con.close()
        _remove_quietly(temp_dir)
        _swap(db_path, version_path)
        _record_swap(db_path, version_path)
    _prune_old_versions(db_path, keep_seconds=keep_seconds)


@contextmanager
def derived_version(
    db_path: Path | str, label: str, *, keep_seconds: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to a copy of the current build; swap it in on success.

    Parameters
    ----------
    db_path
        The ``--db`` link.
    label
        A short word for the file name (``scores``, ``models``), so a listing of the
        folder shows what each version added.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise WarehouseNotFoundError(db_path)
    current = Path(os.path.realpath(db_path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = db_path.with_name(f"{db_path.stem}.{stamp}-{label}.duckdb")
    # Marked before the copy starts, so a crash mid-copy is recognised as one too.
    with _writing_marker(target):
        try:
            shutil.copyfile(current, target)
        except BaseException:
            _remove_version(target)
            raise
        with writing_version(db_path, target, keep_seconds=keep_seconds) as con:
            yield con


def _swap(db_path: Path, version_path: Path) -> None:
    if db_path.exists() and not db_path.is_symlink():
        raise ShopSightError(
            f"{db_path} is a regular file, not a warehouse link made by shopsight build; "
            "move it away or choose another --db path"
        )
    tmp_link = db_path.with_name(f".{db_path.name}.{os.getpid()}.link")
    _remove_quietly(tmp_link)
    # A relative target keeps the folder movable.
    os.symlink(version_path.name, tmp_link)
    os.replace(tmp_link, db_path)


def _prune_old_versions(db_path: Path, keep_seconds: float) -> None:
    """Remove versions other than the current and the previous once past the grace period."""
    keep = {db_path.resolve().name}
    previous = previous_version(db_path)
    if previous is not None:
        keep.add(previous.name)
    now = time.time()
    for old in _version_files(db_path):
        if old.name in keep or _writer_alive(old):
            continue
        if now - old.stat().st_mtime > keep_seconds:
            _remove_version(old)
    _write_record(db_path, [n for n in _read_record(db_path) if db_path.with_name(n).exists()])


# ---- the record of swaps and the writing markers -----------------------------------------------
def previous_version(db_path: Path | str) -> Path | None:
    """The rollback target: the version that went live before the current one.

    Read from the record of swaps; a file that never went live (a crashed build) is never
    the answer. A folder from before the record existed falls back to the newest complete
    warehouse file (one that opens and has ``build_info``), still skipping marked files.
    """
    db_path = Path(db_path)
    current = db_path.resolve().name if db_path.exists() else None
    for name in reversed(_read_record(db_path)):
        path = db_path.with_name(name)
        if name != current and path.exists() and not _marker(path).exists():
            return path
    if _read_record(db_path):
        return None
    candidates = sorted(
        (
            p
            for p in _version_files(db_path)
            if p.name != current and not _marker(p).exists() and _is_complete(p)
        ),
        key=lambda p: p.stat().st_mtime,
    )
    return candidates[-1] if candidates else None


def remove_crashed_versions(db_path: Path | str) -> list[Path]:
    """Delete version files whose writer died before their swap; returns what was deleted."""
    db_path = Path(db_path)
    removed = []
    for path in _version_files(db_path):
        if _marker(path).exists() and not _writer_alive(path):
            _remove_version(path)
            removed.append(path)
    return removed


def _version_files(db_path: Path) -> list[Path]:
    current = db_path.resolve().name if db_path.exists() else None
    return sorted(
        p
        for p in db_path.parent.glob(f"{db_path.stem}.*.duckdb")
        if p.name != current and p.is_file()
    )


def _marker(version_path: Path) -> Path:
    return version_path.with_name(f".{version_path.name}.writing")


@contextmanager
def _writing_marker(version_path: Path) -> Iterator[None]:
    marker = _marker(version_path)
    if not marker.exists():
        marker.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        owned = True
    else:
        owned = False  # derived_version marked it already; it removes it
    try:
        yield
    finally:
        if owned:
            _remove_quietly(marker)


def _writer_alive(version_path: Path) -> bool:
    """Whether the process named in the file's marker still runs (no marker: not writing)."""
    try:
        owner = json.loads(_marker(version_path).read_text())
        pid, host = int(owner["pid"]), str(owner["host"])
    except FileNotFoundError:
        return False
    except (ValueError, KeyError, TypeError):
        return False  # a marker cut short by the crash it records
    if host != socket.gethostname():
        return True  # another machine's writer: it cannot be checked, so it is left alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_complete(path: Path) -> bool:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        con.sql(load_sql("current_build")).fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        con.close()


def _record_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.stem}.builds.json")


def _read_record(db_path: Path) -> list[str]:
    try:
        names = json.loads(_record_path(db_path).read_text(encoding="utf-8"))["versions"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return []
    return [str(n) for n in names]


def _write_record(db_path: Path, names: list[str]) -> None:
    part = _record_path(db_path).with_name(f".{db_path.stem}.builds.{os.getpid()}.part")
    part.write_text(json.dumps({"versions": names}, indent=1), encoding="utf-8")
    os.replace(part, _record_path(db_path))


def _record_swap(db_path: Path, version_path: Path) -> None:
    names = [n for n in _read_record(db_path) if n != version_path.name]
    _write_record(db_path, [*names, version_path.name])


def _remove_version(path: Path) -> None:
    _remove_quietly(path)
    _remove_quietly(path.with_name(path.name + ".wal"))
    _remove_quietly(path.with_name(f".{path.stem}.tmp"))
    _remove_quietly(_marker(path))


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
