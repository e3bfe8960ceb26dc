"""Array types and vectorised helpers the generator's steps share.

The simulation works on flat numpy arrays cut into segments (the sessions of a customer, the
views of a session); these helpers index and accumulate inside segments without a Python loop.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Seconds in a day: every time inside the simulation is whole seconds from the window's start.
DAY = 86_400


def segment_starts(lengths: IntArray) -> IntArray:
    """Index of the first element of each segment of a flat array cut into ``lengths``."""
    return np.cumsum(lengths) - lengths


def ordinal(lengths: IntArray) -> IntArray:
    """Position of every element inside its segment (0, 1, 2, … restarting per segment)."""
    total = int(lengths.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(segment_starts(lengths), lengths)


_Num = TypeVar("_Num", np.float64, np.int64)


def segment_cumsum(values: npt.NDArray[_Num], lengths: IntArray) -> npt.NDArray[_Num]:
    """Inclusive cumulative sum restarting at each segment."""
    cs: npt.NDArray[_Num] = np.cumsum(values)
    starts = segment_starts(lengths)
    nonempty = lengths > 0
    before = np.zeros(len(lengths), dtype=cs.dtype)
    before[nonempty] = cs[starts[nonempty]] - values[starts[nonempty]]
    cs -= np.repeat(before, lengths)
    return cs


def uuid_strings(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUID strings, formatted without a Python loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    slots = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
    chars[:, slots[0::2]] = hexdigits[raw >> 4]
    chars[:, slots[1::2]] = hexdigits[raw & 0x0F]
    return pl.Series("user_session", chars.view("S36").ravel()).cast(pl.String)
