"""`make install` compiles UMAP's numba kernels into numba's disk cache (h14-export): the first map
of a fresh installation then loads every kernel it needs instead of compiling it (30-60 s)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A 3,000-user map in a fresh process, then numba's own counters over every umap kernel.
PROBE = """
import json, sys
import numpy as np
from core.segment.projection import project
x = np.random.default_rng(1).normal(size=(3000, 64)).astype(np.float32)
project(x, method="umap", seed=3)
hits = misses = 0
for name, module in list(sys.modules.items()):
    if name.split(".")[0] not in ("umap", "pynndescent"):
        continue
    for value in list(vars(module).values()):
        stats = getattr(value, "stats", None)
        if stats is not None and hasattr(stats, "cache_hits"):
            hits += sum(stats.cache_hits.values())
            misses += sum(stats.cache_misses.values())
print(json.dumps({"hits": hits, "misses": misses}))
"""


def _install_recipe() -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^install: .*\$\(MAP_STAMP\)", makefile, re.M), "install must warm the map kernels"
    found = re.search(r"^\$\(MAP_STAMP\): .*\n\t\$\(PY\) (.+)\n", makefile, re.M)
    assert found, "no recipe for $(MAP_STAMP)"
    return shlex.split(found.group(1))


def test_install_warms_the_map_kernels_once() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\$\(MAP_STAMP\): \$\(STAMP\)$", makefile, re.M)  # again only after a (re)install
    assert "warm_up()" in " ".join(_install_recipe())


@pytest.mark.slow
def test_after_the_install_warm_up_a_new_process_compiles_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, *_install_recipe()], cwd=ROOT, env=env, check=True, timeout=900)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["hits"] > 0 and counts["misses"] == 0, counts
