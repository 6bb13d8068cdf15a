"""The SparkSession of the Spark engine: Java check, local-mode defaults, workers that import core."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from core.errors import InterestLensError

DEFAULT_MASTER = "local[2]"
# Local mode: the JVM heap (driver and executors in one) and what may come back to the driver.
# 2g keeps the whole process tree of a 1M-user run (JVM ~3 GB resident, the Python driver holding
# the kept events and profiles, two Python workers) within 8 GB; Spark spills shuffles and cached
# blocks to disk beyond it. SPARK_DRIVER_MEMORY overrides. The engine collects the kept events and
# the profiles by design (1M x 256 float32 profiles are 1 GB), so the 1g result cap is lifted.
LOCAL_DRIVER_MEMORY = "2g"
_SHIPPED: dict[str, Path] = {}  # application id -> the zip of `core` its executors were sent
JAVA_HINT_EN = (
    "The Spark engine needs Java 17 or newer. Install it (Debian/Ubuntu: sudo apt-get install -y "
    "openjdk-17-jre-headless; macOS: brew install openjdk@17) or set JAVA_HOME, or run without --engine spark."
)
JAVA_HINT_ZH = (
    "Spark 引擎需要 Java 17 或更高版本。请先安装（Debian/Ubuntu：sudo apt-get install -y "
    "openjdk-17-jre-headless；macOS：brew install openjdk@17）或设置 JAVA_HOME，或不加 --engine spark 运行。"
)


def java_available() -> bool:
    """True when a `java` executable is on PATH or under JAVA_HOME."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def require_spark() -> None:
    """Raise a bilingual, actionable error when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise InterestLensError(
            "The Spark engine needs the pyspark package: pip install pyspark==4.3.0 (or make install).",
            "Spark 引擎需要 pyspark 包：pip install pyspark==4.3.0（或 make install）。",
            code="no_pyspark",
        ) from exc
    if not java_available():
        raise InterestLensError(JAVA_HINT_EN, JAVA_HINT_ZH, code="no_java")


def get_session(
    master: str | None = None, *, shuffle_partitions: int | None = None, conf: dict[str, str] | None = None
) -> Any:
    """A SparkSession (the active one when there is one, e.g. under spark-submit).

    `master` None: the session's own master (spark-submit's --master), else local[2]. The UI is off
    and shuffles use few partitions in local mode; local Python workers run this interpreter and
    import `core` from this checkout; a cluster's workers get `core` as a zip (`ship_core`).
    """
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and (master is None or master == active.sparkContext.master):
        if not str(active.sparkContext.master).startswith("local"):
            ship_core(active)  # spark-submit to a cluster: its executors need `core` too
        return active  # as configured by its creator (a test's or spark-submit's settings stay)
    root = str(Path(__file__).resolve().parents[2])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    path = os.environ.get("PYTHONPATH", "")
    if root not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = root + (os.pathsep + path if path else "")
    # Under spark-submit (its gateway is already up) with no --master of ours: the submit's master.
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    chosen = master or os.environ.get("SPARK_MASTER") or DEFAULT_MASTER
    local = chosen.startswith("local") and not submitted
    builder = SparkSession.builder if submitted else SparkSession.builder.master(chosen)
    builder = (
        builder.appName("interest-lens")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or (4 if local else 200)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.python.worker.reuse", "true")
    )
    if local:  # a cluster keeps its own executor PYTHONPATH (pyspark's zips); it gets `core` by ship_core
        builder = (
            builder.config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", LOCAL_DRIVER_MEMORY))
            .config("spark.driver.maxResultSize", "0")
            .config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: almost always Java
        raise InterestLensError(
            f"Spark did not start ({type(exc).__name__}: {str(exc)[:200]}). {JAVA_HINT_EN}",
            f"Spark 未能启动（{type(exc).__name__}）。{JAVA_HINT_ZH}",
            code="spark_start",
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    if not str(session.sparkContext.master).startswith("local"):
        ship_core(session)
    return session


def ship_core(session: Any) -> Path:
    """Send this `core` package to the executors (SparkContext.addPyFile of a zip of it), so a
    cluster's workers import the same code as the driver without installing it. Its dependencies
    (requirements.txt) must be in the workers' Python, e.g. a packed venv given with --archives."""
    import tempfile
    import zipfile

    context = session.sparkContext
    if context.applicationId in _SHIPPED:
        return _SHIPPED[context.applicationId]
    package = Path(__file__).resolve().parents[1]
    target = Path(tempfile.mkdtemp(prefix="interest-lens-core-")) / "interest_lens_core.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(package.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                archive.write(file, file.relative_to(package.parent).as_posix())
    context.addPyFile(str(target))
    _SHIPPED[context.applicationId] = target
    return target


@contextmanager
def _as_parquet(frame: Any) -> Iterator[Path | None]:
    """Local mode: the folder of Parquet parts Spark wrote `frame` to (deleted afterwards), so
    nothing accumulates in the JVM heap (collecting 10M events through Arrow batches ran the 2g heap
    out of memory: task results are held on the JVM side until Python takes them). Elsewhere None:
    the driver may not share a disk with the executors."""
    import tempfile

    if not frame.sparkSession.sparkContext.master.startswith("local"):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="interest-lens-spark-") as tmp:
        target = Path(tmp) / "frame.parquet"
        frame.write.mode("overwrite").parquet(str(target))
        yield target


def collect_arrow(frame: Any) -> Any:
    """A Spark DataFrame on the driver as a pyarrow Table (row order not kept: sort after): the
    Parquet Spark wrote in local mode (`_as_parquet`), elsewhere DataFrame.toArrow()."""
    import pyarrow.parquet as pq

    with _as_parquet(frame) as target:
        return frame.toArrow() if target is None else pq.read_table(target)


@contextmanager
def collected(frame: Any) -> Iterator[Callable[[list[str]], Iterator[Any]]]:
    """A Spark DataFrame on the driver, read a few columns at a time: `read(columns)` yields pyarrow
    record batches of those columns, every call in the same row order. Local mode reads the Parquet
    parts Spark wrote (`_as_parquet`) one after another, so a wide column (1M profiles x 640
    float32, 2.6 GB) is never held twice; elsewhere `DataFrame.toArrow()`."""
    import pyarrow.parquet as pq

    with _as_parquet(frame) as target:
        if target is None:
            table = frame.toArrow()
            yield lambda columns: iter(table.select(columns).to_batches())
            return
        parts = sorted(target.glob("*.parquet"))

        def read(columns: list[str]) -> Iterator[Any]:
            for part in parts:
                yield from pq.ParquetFile(part).iter_batches(batch_size=65_536, columns=columns)

        yield read


def owns_no_session() -> bool:
    """True when no SparkSession is active: a session started now is the caller's to stop."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession() is None


def release(session: Any) -> None:
    """Stop a session this process started for one run and end its JVM (and the Python workers it
    forked): the descriptions and exports that follow run on the driver, and a local JVM keeps its
    heap (about 2.7 GB resident in a 1M-user run) until it exits. The JVM exits when its stdin
    closes (pyspark's gateway contract); the next session starts a new one."""
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if gateway is None or proc is None:
        return
    with suppress(Exception):  # already closed: the JVM is going anyway
        gateway.shutdown()
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except Exception:  # a JVM that ignores EOF
        proc.kill()
        proc.wait(timeout=30)
    SparkContext._gateway = None
    SparkContext._jvm = None
