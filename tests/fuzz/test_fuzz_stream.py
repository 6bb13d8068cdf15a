"""Random delimited files: the streamed path reader gives exactly the exact reader's table or error.

Quoting, doubled quotes, delimiters inside quotes, empty cells, blank lines, CRLF, gzip and (in the
"dirty" files) ragged rows, stray quotes and quoted line breaks, read in many small blocks. A run of
1,800 such files (seeds 1-4) found no difference; this keeps 40 in the suite.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import IngestError
from core.ingest import stream
from core.ingest.local import read_file
from core.ingest.read import read_table
from core.ingest.sniffing import ReadLimits

ATOMS = ["a", "b c", "", " ", '"', '""', ",", ";", "\t", 'x"y', "\n", "\r\n", "中", "é", "\\", "'", "1"]


def _random_file(rng: random.Random) -> bytes:
    sep = rng.choice([",", ";", "\t"])
    n_columns = rng.randint(2, 5)
    dirty = rng.random() < 0.3
    lines = [sep.join(f"c{j}" for j in range(n_columns))]
    for i in range(rng.randint(150, 260)):
        cells = []
        width = n_columns + dirty * ((rng.random() < 0.01) - (rng.random() < 0.01))
        for j in range(width):
            cell = (
                "".join(rng.choice(ATOMS) for _ in range(rng.randint(0, 3)))
                if rng.random() < 0.3
                else f"v{i}_{j}"
            )
            if not dirty:
                cell = cell.replace("\n", "").replace("\r", "")
            mode = rng.random()
            if mode < 0.4:
                cell = '"' + cell.replace('"', '""') + '"'
            elif mode < 0.45 and dirty:
                cell = '"' + cell + '"'
            else:
                cell = cell.replace('"', "").replace(sep, "").replace("\n", "").replace("\r", "")
            cells.append(cell)
        lines.append(sep.join(cells))
        if rng.random() < 0.02:
            lines.append("")
    end = rng.choice(["\n", "\r\n"])
    return (end.join(lines) + (end if rng.random() < 0.8 else "")).encode()


def _read(read, *args, **kwargs):
    try:
        return read(*args, **kwargs)
    except IngestError as exc:
        return exc


@pytest.mark.parametrize("seed", range(40))
def test_random_files_stream_exactly(seed: int, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(stream, "BLOCK_BYTES", 300)
    monkeypatch.setattr(stream, "HEAD_BYTES", 500)
    rng = random.Random(seed)
    raw = _random_file(rng)
    path = tmp_path / ("data.csv.gz" if seed % 5 == 0 else "data.csv")
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    limits = ReadLimits()
    old = _read(read_table, path.read_bytes(), path.name, limits=limits)
    new = _read(read_file, path, path.name, limits=limits)
    if isinstance(old, IngestError) or isinstance(new, IngestError):
        assert type(old) is type(new) and str(old) == str(new)
        return
    pd.testing.assert_frame_equal(new.frame, old.frame)
    np.testing.assert_array_equal(new.lines, old.lines)
    pd.testing.assert_frame_equal(new.rejects, old.rejects, check_dtype=False)
    assert (new.encoding, new.delimiter, new.header_row, new.warnings, new.compression) == (
        old.encoding, old.delimiter, old.header_row, old.warnings, old.compression
    )  # fmt: skip
