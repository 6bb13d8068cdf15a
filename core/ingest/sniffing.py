"""What kind of bytes these are: container format, compression, text encoding, delimiter, header row."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from core.errors import IngestError

MiB = 2**20


@dataclass(frozen=True)
class ReadLimits:
    """Hard limits on an upload; every message names the limit it hit."""

    max_upload_bytes: int = 500 * MiB  # same as .streamlit/config.toml maxUploadSize
    max_decompressed_bytes: int = 1024 * MiB  # gzip/zip payload after decompression
    max_decompression_ratio: float = 100.0  # payload / compressed size, above the allowance below
    min_decompressed_allowance: int = 64 * MiB  # any payload up to this size passes the ratio check
    max_lines: int = 10_000_000  # counted while reading/unpacking, before lines are split
    max_columns: int = 2_000
    max_rows: int = 5_000_000
    max_cell_chars: int = 1_000_000
    max_xlsx_uncompressed: int = 300 * MiB  # sum of the workbook's zip entries
    max_xlsx_ratio: float = 100.0  # uncompressed / compressed size of the workbook


def _mb(n: float) -> str:
    return f"{n / MiB:,.0f} MB"


def detect_container(raw: bytes) -> str:
    """gzip | zip | xlsx | parquet | xls | image | pdf | text, from the magic bytes (not the file name)."""
    head = raw[:8]
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile as exc:
            if b"PK\x05\x06" not in raw[-(1 << 16) - 22 :]:  # no end-of-central-directory record
                raise IngestError(
                    "The ZIP archive (or .xlsx workbook) is truncated: its directory at the end of the file "
                    "is missing (an incomplete download or copy). Upload the complete file.",
                    "ZIP 压缩包（或 .xlsx 工作簿）不完整：文件末尾的目录缺失（下载或复制未完成）。请上传完整的文件。",
                ) from exc
            raise IngestError(
                "The file looks like a ZIP archive but is damaged.", "文件看起来是 ZIP 压缩包，但已损坏。"
            ) from exc
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"BM", b"RIFF")):
        return "image"
    if head.startswith(b"%PDF"):
        return "pdf"
    return "text"


def check_xlsx(raw: bytes, limits: ReadLimits) -> None:
    """Zip-bomb and XML-entity pre-check of a workbook, from the zip directory, before any parsing."""
    archive = zipfile.ZipFile(io.BytesIO(raw))
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    ratio = total / max(len(raw), 1)
    if total > limits.max_xlsx_uncompressed or ratio > limits.max_xlsx_ratio:
        raise IngestError(
            f"The workbook unpacks to {_mb(total)} ({ratio:,.0f}x its size); the limits are "
            f"{_mb(limits.max_xlsx_uncompressed)} and {limits.max_xlsx_ratio:,.0f}x. Save it as CSV instead.",
            f"该工作簿解压后为 {_mb(total)}（原大小的 {ratio:,.0f} 倍），超过上限 {_mb(limits.max_xlsx_uncompressed)} / "
            f"{limits.max_xlsx_ratio:,.0f} 倍。请另存为 CSV。",
        )
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            with archive.open(info) as handle:
                head = handle.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise IngestError(
                    f"The workbook part '{info.filename}' declares XML entities (a known attack); it was not read.",
                    f"工作簿部件“{info.filename}”声明了 XML 实体（已知的攻击方式），未读取。",
                )


# --- text decoding ---------------------------------------------------------------------------------
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
INVALID_BYTES = re.compile("[\udc80-\udcff]+")  # what surrogateescape makes of undecodable bytes
_NON_ASCII_OK = re.compile("[^\x00-\x7f\udc80-\udcff]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    has_invalid_bytes: bool = False  # lines with undecodable bytes carry U+DC80..U+DCFF (surrogateescape)
    warning: str = ""


def decode_text(raw: bytes, encoding: str | None = None) -> DecodedText:
    """Bytes -> text. Cascade: explicit -> BOM -> UTF-16 without BOM -> UTF-8 -> GB18030 -> detector.

    A mostly-UTF-8 file with a few invalid bytes is decoded as UTF-8 with the bad bytes marked, so the
    lines holding them can be rejected by name (never replaced silently).
    """
    if encoding:
        try:
            return DecodedText(raw.decode(encoding), encoding)
        except LookupError as exc:
            raise IngestError(f"Unknown encoding '{encoding}'.", f"未知的编码“{encoding}”。") from exc
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise IngestError(
                f"The file is not valid {encoding}: line {line} has bytes that cannot be decoded. "
                "Try another encoding (e.g. utf-8, gb18030, cp1252).",
                f"文件不是有效的 {encoding} 编码：第 {line} 行有无法解码的字节。请尝试其他编码（如 utf-8、gb18030、cp1252）。",
            ) from exc
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return DecodedText(raw.decode(name), name)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    f"The file starts with a {name} byte-order mark but is not valid {name}.",
                    f"文件以 {name} 字节序标记开头，但内容不是有效的 {name}。",
                ) from exc
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return utf16
    head = raw[:8000]
    if head and sum(1 for b in head if b < 9 or 13 < b < 32) / len(head) > 0.1:
        raise IngestError(
            "The file is not text (binary data). Upload CSV, TSV, Excel .xlsx or Parquet.",
            "文件不是文本（二进制数据）。请上传 CSV、TSV、Excel .xlsx 或 Parquet。",
        )
    try:
        return DecodedText(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    marked = raw.decode("utf-8", "surrogateescape")
    runs = [len(m.group()) for m in INVALID_BYTES.finditer(marked)]
    valid_non_ascii = len(_NON_ASCII_OK.findall(marked, 0, 2_000_000))
    # GBK/GB18030 text has 2-byte characters: stray single bytes, or lots of valid UTF-8 around a few
    # bad runs, mean a UTF-8 file with some damage.
    if all(r == 1 for r in runs) or valid_non_ascii >= 3 * len(runs):
        return DecodedText(marked, "utf-8", has_invalid_bytes=True)
    try:
        return DecodedText(raw.decode("gb18030"), "gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:2_000_000]).best()
    if best is not None and best.encoding:
        try:
            text = raw.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            text = None
        if text is not None:
            return DecodedText(
                text,
                best.encoding,
                warning=f"Encoding guessed as {best.encoding}; if the text looks wrong, choose the encoding explicitly.",
            )
    raise IngestError(
        "Cannot tell the text encoding of this file. Choose it explicitly (e.g. utf-8, gb18030, cp1252).",
        "无法识别文件的文本编码，请手动指定（如 utf-8、gb18030、cp1252）。",
    )


def _utf16_without_bom(raw: bytes) -> DecodedText | None:
    sample = raw[:4000]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / len(sample[0::2])
    odd_nul = sample[1::2].count(0) / len(sample[1::2])
    for share_a, share_b, name in ((odd_nul, even_nul, "utf-16-le"), (even_nul, odd_nul, "utf-16-be")):
        if share_a > 0.3 and share_b < 0.05:
            try:
                return DecodedText(raw.decode(name), name)
            except UnicodeDecodeError:
                return None
    return None


def looks_binary(text: str) -> bool:
    """Many control characters in the first 8,000 characters: not a text table."""
    sample = text[:8000]
    if not sample:
        return False
    controls = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n") or "\udc80" <= ch <= "\udcff")
    return controls / len(sample) > 0.1


# --- delimiter and header --------------------------------------------------------------------------
DELIMITERS = (",", "\t", ";", "|")
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$', re.IGNORECASE)


def excel_sep_line(first_line: str) -> str | None:
    """The delimiter named by Excel's `sep=;` first line, else None."""
    match = _SEP_LINE.match(first_line.rstrip("\r\n"))
    return match.group(1) if match else None


def sniff_delimiter(lines: list[str]) -> str:
    """The candidate giving the most consistent field count (> 1) over the sample lines."""
    best, best_score = ",", (0.0, 0)
    for candidate in DELIMITERS:
        rows = [r for r in _sample_rows(lines, candidate) if r]
        counts = [len(r) for r in rows]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _sample_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return [line.rstrip("\r\n").split(delimiter) for line in lines]


def find_header(rows: list[list[str]]) -> int:
    """Index of the header among the first rows: the first row filled like the table below it
    (skips title lines and empty rows above the header)."""
    filled = [sum(1 for c in row if str(c).strip()) for row in rows]
    if not filled:
        return 0
    width = max(filled)
    if width < 2:
        return next((i for i, n in enumerate(filled) if n), 0)
    need = max(2, int(0.6 * width + 0.5))
    return next((i for i, n in enumerate(filled) if n >= need), 0)
