"""Where the Spark engine's input lives: a local path, or any URI Spark's Hadoop file systems read.

A team's events usually sit on a lakehouse (`s3a://bucket/events/`, `abfss://...`, `gs://...`,
`hdfs://...`, `dbfs:/...`). Spark reads those itself; the driver only needs to list the parts and
read the head of the first one (to sniff delimiter, encoding, header and column names exactly as the
local engine does) and the items table. For a URI both go through the session's own Hadoop
FileSystem (py4j), so the cluster's credentials and connectors apply and nothing is copied: the
listing is `globStatus` / `listFiles`, the reads are `FSDataInputStream` seeks and `readNBytes`
calls behind a Python file object (`HadoopFile`), which pyarrow's Parquet reader and gzip use as
they use a local file.

Local paths keep the local file system (a folder, a file or a glob of parts).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from core.errors import IngestError
from core.ingest.local import is_uri

_GLOB = re.compile(r"[*?\[{]")


def base_name(path: str | Path) -> str:
    """The last segment of a path or URI ("s3a://b/events/" -> "events")."""
    return str(path).rstrip("/").rsplit("/", 1)[-1] if is_uri(path) else Path(path).name


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))  # _SUCCESS, _delta_log, .crc files: not data (as the local engine)


def list_parts(path: str | Path, spark: Any = None) -> list[str]:
    """The data files of `path` in a stable order: itself, the visible files under a folder
    (recursively), or the files a glob matches; hidden files (`_SUCCESS`, `.crc`) are skipped. Local
    paths follow the local engine's rule (core.ingest.local.list_parts)."""
    if is_uri(path):
        return HadoopFs(spark, str(path)).list_parts()
    from core.ingest.local import list_parts as local_parts

    p = Path(path)
    parts = local_parts(p)
    if parts is not None:
        return [str(f) for f in parts]
    if not p.exists():
        raise IngestError(f"File not found: '{p}'.", f"找不到文件：“{p}”。", code="not_found")
    return [str(p)]


def open_binary(path: str, spark: Any = None) -> Any:
    """A readable, seekable binary file object for a local path or a URI."""
    if is_uri(path):
        fs = HadoopFs(spark, path)
        return io.BufferedReader(HadoopFile(fs.fs.open(fs.path), fs.size()), buffer_size=1 << 20)
    return open(path, "rb")


def read_bytes(path: str, limit: int, spark: Any = None) -> bytes:
    """The whole file (at most `limit` bytes; more is an error naming the limit)."""
    if not is_uri(path):
        from core.ingest.guards import read_source_file
        from core.ingest.sniffing import ReadLimits

        return read_source_file(Path(path), ReadLimits(max_upload_bytes=limit))
    fs = HadoopFs(spark, path)
    size = fs.size()
    if size > limit:
        raise IngestError(
            f"'{base_name(path)}' is {size / 1e6:,.0f} MB, over the {limit / 1e6:,.0f} MB limit for a table "
            "read on the driver.",
            f"“{base_name(path)}”大小为 {size / 1e6:,.0f} MB，超过驱动端读取表格的上限 {limit / 1e6:,.0f} MB。",
        )
    with open_binary(path, spark) as handle:
        return bytes(handle.read())


class HadoopFs:
    """One path on the session's Hadoop FileSystem (the JVM's, through py4j)."""

    def __init__(self, spark: Any, uri: str) -> None:
        if spark is None:
            raise IngestError(
                f"'{uri}' is read through Spark: use --engine spark, or copy it to this machine.",
                f"“{uri}”需要通过 Spark 读取：请使用 --engine spark，或先复制到本机。",
            )
        self.jvm = spark.sparkContext._jvm
        self.uri = uri
        self.path = self.jvm.org.apache.hadoop.fs.Path(uri)
        try:
            self.fs = self.path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        except Exception as exc:  # py4j wraps the JVM's: no connector for the scheme, bad URI, ...
            raise IngestError(
                f"Spark cannot open '{uri}': {_java_message(exc)}. Check the scheme's connector and "
                "credentials in the Spark configuration.",
                f"Spark 无法打开“{uri}”：{_java_message(exc)}。请检查 Spark 配置中该协议的连接器和凭据。",
            ) from exc

    def size(self) -> int:
        return int(self.fs.getFileStatus(self.path).getLen())

    def list_parts(self) -> list[str]:
        try:
            if _GLOB.search(self.uri):
                statuses = self.fs.globStatus(self.path) or []
                files = [str(s.getPath().toString()) for s in statuses if s.isFile()]
                if not files:
                    raise IngestError(
                        f"No files match '{self.uri}'.", f"没有与“{self.uri}”匹配的文件。", code="not_found"
                    )
                return sorted(files)
            if not self.fs.exists(self.path):
                raise IngestError(
                    f"File not found: '{self.uri}'.", f"找不到文件：“{self.uri}”。", code="not_found"
                )
            if not self.fs.getFileStatus(self.path).isDirectory():
                return [str(self.path.toString())]
            root = str(self.fs.getFileStatus(self.path).getPath().toString()).rstrip("/") + "/"
            found = []
            listing = self.fs.listFiles(self.path, True)
            while listing.hasNext():
                name = str(listing.next().getPath().toString())
                relative = name[len(root) :] if name.startswith(root) else name.rsplit("/", 1)[-1]
                if not any(_hidden(part) for part in relative.split("/")):
                    found.append(name)
        except IngestError:
            raise
        except Exception as exc:  # py4j errors from the file system: permissions, missing bucket, ...
            raise IngestError(
                f"Spark cannot list '{self.uri}': {_java_message(exc)}.",
                f"Spark 无法列出“{self.uri}”：{_java_message(exc)}。",
            ) from exc
        if not found:
            name = base_name(self.uri)
            raise IngestError(f"The folder '{name}' holds no data files.", f"文件夹“{name}”中没有数据文件。")
        return sorted(found)


class HadoopFile(io.RawIOBase):
    """A Hadoop FSDataInputStream as a seekable Python raw file (reads come back as py4j bytes)."""

    def __init__(self, stream: Any, size: int) -> None:
        super().__init__()
        self.stream, self.length, self.position = stream, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, min(base + offset, self.length))
        self.stream.seek(self.position)
        return self.position

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.length - self.position, 8 << 20)
        if want <= 0:
            return 0
        data = bytes(self.stream.readNBytes(want))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.stream.close()
        super().close()


def _java_message(exc: Exception) -> str:
    """The JVM's own message (py4j puts the Java exception first), on one line."""
    text = str(getattr(exc, "java_exception", None) or exc)
    return " ".join(text.split())[:300]
