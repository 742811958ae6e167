#!/usr/bin/env python3
"""Convert a Hugging Face SqueezeBERT checkpoint into a SqueezeDesk model folder (issue #4).

    python models/convert/convert_hf.py --checkpoint DIR --out MODEL_DIR [--name NAME] [--version 1.0.0]
        [--max-length 128] [--no-int8] [--no-heads] [--conv]

DIR is a checkpoint folder as published on the Hugging Face hub, e.g. squeezebert/squeezebert-uncased,
squeezebert/squeezebert-mnli or squeezebert/squeezebert-mnli-headless: config.json, the weights as
model.safetensors and/or pytorch_model.bin, and tokenizer.json and/or vocab.txt (+ tokenizer_config.json).
BERT checkpoints (model_type "bert") are accepted too.

MODEL_DIR receives (the layout of models/squeezebert-mini/, read by the Rust engine):
    model.onnx        float32 ONNX (opset 17): inputs input_ids / attention_mask / token_type_ids
                      (int64 [batch, sequence]); output `embedding` [batch, hidden] = mean of the last
                      hidden state over real tokens, L2-normalised (as the shipped model); plus
                      `<head>_logits` when the checkpoint has a sequence-classification head (the
                      -mnli model: head "nli", CLS pooler + classifier, labels from config.json)
    model_int8.onnx   the same, int8 (dynamic quantisation, see onnx_encoder.INT8_SETTINGS); --no-int8 skips it
    tokenizer.json    the checkpoint's tokenizer.json, or one built from vocab.txt (BERT WordPiece), with
                      no padding/truncation preset
    manifest.json     same schema as models/squeezebert-mini/manifest.json
    config.json       the checkpoint's config.json (copied)
    convert.json      source files and checksums, versions, the self-check below

No PyTorch is needed for model.safetensors (weights are read with safetensors' numpy API and the graph
is written with the `onnx` package); pytorch_model.bin needs torch only to unpickle it.

Self-check: the float32 graph is compared with an independent float64 numpy implementation of the
same network on a few tokenised texts; the conversion fails if the embeddings differ by > 1e-4.
The official configs say vocab_size 30528 while vocab.txt has 30522 tokens: the 6 extra embedding
rows are kept (no token id reaches them).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import onnx_encoder as oe  # noqa: E402

GENERIC_LABEL = "LABEL_"
# Label order of the GLUE MNLI processor in transformers (run_glue), used by squeezebert-mnli.
MNLI_LABELS = ["contradiction", "entailment", "neutral"]
CHECK_TEXTS = [
    "Hi",
    "Where is my refund? I returned the package two weeks ago.",
    "Crème brûlée at the café in Zürich 😍 東京",
    "The meeting is scheduled for 3pm on Tuesday in room 204, please bring the quarterly report.",
]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------

def load_state(checkpoint: str) -> tuple[dict, str]:
    """The checkpoint's weights as float32 numpy arrays, and the file they came from."""
    st = os.path.join(checkpoint, "model.safetensors")
    if os.path.exists(st):
        from safetensors import safe_open
        state = {}
        try:
            with safe_open(st, framework="numpy") as f:
                for key in f.keys():
                    state[key] = f.get_tensor(key)
        except (TypeError, ValueError) as e:  # e.g. bfloat16, which numpy lacks
            raise SystemExit(f"{st}: cannot read with numpy ({e}); convert it to float32 first") from e
        return state, st
    bin_path = os.path.join(checkpoint, "pytorch_model.bin")
    if os.path.exists(bin_path):
        try:
            import torch
        except ImportError:
            raise SystemExit(f"{bin_path} is a PyTorch pickle: reading it needs torch (pip install torch), "
                             "or provide model.safetensors instead") from None
        raw = torch.load(bin_path, map_location="cpu", weights_only=True)
        return {k: v.detach().float().numpy() if v.is_floating_point() else v.numpy() for k, v in raw.items()}, bin_path
    raise SystemExit(f"{checkpoint}: no model.safetensors or pytorch_model.bin")


def build_tokenizer(checkpoint: str, out_path: str, config: dict) -> str:
    """Write tokenizer.json without padding/truncation presets; returns where it came from."""
    from tokenizers import Tokenizer
    tj = os.path.join(checkpoint, "tokenizer.json")
    if os.path.exists(tj):
        tok = Tokenizer.from_file(tj)
        source = "tokenizer.json"
    else:
        vocab = os.path.join(checkpoint, "vocab.txt")
        if not os.path.exists(vocab):
            raise SystemExit(f"{checkpoint}: no tokenizer.json or vocab.txt")
        lower = True
        tc = os.path.join(checkpoint, "tokenizer_config.json")
        if os.path.exists(tc):
            with open(tc, encoding="utf-8") as f:
                lower = bool(json.load(f).get("do_lower_case", True))
        tok = bert_wordpiece_from_vocab(vocab, lowercase=lower)
        source = f"vocab.txt (BERT WordPiece, lowercase={lower})"
    tok.no_padding()
    tok.no_truncation()
    tok.save(out_path)
    return source


def bert_wordpiece_from_vocab(vocab_path: str, lowercase: bool = True):
    """The tokenizer `transformers.BertTokenizerFast` builds from a vocab.txt."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    with open(vocab_path, encoding="utf-8") as f:
        vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
    for special in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"):
        if special not in vocab:
            raise SystemExit(f"{vocab_path}: no {special} token")
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece(prefix="##")
    from tokenizers import AddedToken
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")])
    return tok


def head_labels(config: dict, num_labels: int, checkpoint_name: str) -> tuple[str, list[str]]:
    """Name and label list of a sequence-classification head."""
    id2label = config.get("id2label") or {}
    labels = [str(id2label.get(str(i), id2label.get(i, f"{GENERIC_LABEL}{i}"))) for i in range(num_labels)]
    generic = all(label.startswith(GENERIC_LABEL) for label in labels)
    looks_nli = "mnli" in checkpoint_name.lower() or any(x in " ".join(labels).lower() for x in ("entail", "contradict"))
    if looks_nli and num_labels == 3:
        return "nli", (MNLI_LABELS if generic else labels)
    return "classifier", labels


# ------------------------------------------------------------------------------------------------
# Conversion
# ------------------------------------------------------------------------------------------------

def convert(checkpoint: str, out: str, name: str | None = None, version: str = "1.0.0", max_length: int = 128,
            int8: bool = True, heads: bool = True, conv: bool = False, check_tolerance: float = 1e-4) -> dict:
    checkpoint = os.path.abspath(checkpoint)
    with open(os.path.join(checkpoint, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model_type = config.get("model_type", "squeezebert")
    raw_state, weights_file = load_state(checkpoint)
    state = oe.normalise_keys(raw_state)
    if model_type == "squeezebert":
        enc = oe.from_squeezebert_state(state, config)
    elif model_type == "bert":
        enc = oe.from_bert_state(state, config)
    else:
        raise SystemExit(f"model_type {model_type!r} is not supported (squeezebert, bert)")
    name = name or os.path.basename(checkpoint.rstrip("/"))

    # Heads: a sequence-classification classifier on the CLS pooler (squeezebert-mnli).
    head_info = {}
    if heads and "classifier.weight" in state:
        w, b = state["classifier.weight"], state["classifier.bias"]
        if w.ndim == 2 and w.shape[1] == enc.hidden_size and enc.pooler is not None:
            head_name, labels = head_labels(config, w.shape[0], name)
            enc.heads[head_name] = oe.Linear(oe._f32(w), oe._f32(b), 1)
            head_info[head_name] = labels
    outputs = ["embedding"] + [f"{h}_logits" for h in enc.heads]

    os.makedirs(out, exist_ok=True)
    tok_path = os.path.join(out, "tokenizer.json")
    tok_source = build_tokenizer(checkpoint, tok_path, config)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tok_path)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    if vocab_size > enc.word_embeddings.shape[0]:
        raise SystemExit(f"tokenizer has {vocab_size} tokens but the embedding matrix only "
                         f"{enc.word_embeddings.shape[0]} rows")

    metadata = {"source": name, "embedding": "L2-normalised masked mean of the last hidden state",
                "tokenizer": "tokenizer.json, [CLS] text [SEP]"}
    for h, labels in head_info.items():
        metadata[f"{h}_labels"] = json.dumps(labels)
    fp32_path = os.path.join(out, "model.onnx")
    model = oe.build_model(enc, outputs=outputs, conv=conv, name=name, metadata=metadata)
    onnx.checker.check_model(model)
    onnx.save(model, fp32_path)
    variants = {"fp32": "model.onnx"}

    # Self-check against the float64 numpy reference, on a padded batch of a few texts.
    tok.enable_truncation(max_length)
    encs = [tok.encode(t).ids for t in CHECK_TEXTS]
    width = max(len(e) for e in encs)
    ids = np.zeros((len(encs), width), np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, :len(e)], mask[i, :len(e)] = e, 1
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    ref = oe.reference_forward(enc, ids, mask)
    session = ort.InferenceSession(fp32_path, providers=["CPUExecutionProvider"])
    got = dict(zip(outputs, session.run(outputs, feeds)))
    check = {"texts": len(encs), "reference": "float64 numpy (onnx_encoder.reference_forward)",
             "fp32_max_abs_diff": {k: float(np.abs(got[k] - ref[k]).max()) for k in outputs}}
    if check["fp32_max_abs_diff"]["embedding"] > check_tolerance:
        raise SystemExit(f"self-check failed: {check['fp32_max_abs_diff']}")

    if int8:
        int8_path = os.path.join(out, "model_int8.onnx")
        if conv:  # quantise the MatMul form (ConvInteger is slow on CPU)
            with tempfile.TemporaryDirectory() as tmp:
                mm = os.path.join(tmp, "matmul.onnx")
                onnx.save(oe.build_model(enc, outputs=outputs, conv=False, name=name, metadata=metadata), mm)
                oe.quantize_int8(mm, int8_path)
        else:
            oe.quantize_int8(fp32_path, int8_path)
        variants["int8"] = "model_int8.onnx"
        q = dict(zip(outputs, ort.InferenceSession(int8_path, providers=["CPUExecutionProvider"]).run(outputs, feeds)))
        cos = (q["embedding"] * got["embedding"]).sum(axis=1)
        check["int8_embedding_cosine_to_fp32"] = {"min": float(cos.min()), "mean": float(cos.mean())}

    config_out = os.path.join(out, "config.json")
    shutil.copyfile(os.path.join(checkpoint, "config.json"), config_out)

    hidden = enc.hidden_size
    groups = enc.layers[0]
    desc = (f"{model_type} ({len(enc.layers)} layers, hidden {hidden}, {enc.num_heads} heads"
            + (f"; grouped 1x1 convolutions q/k/v {groups.query.groups}, post-attention {groups.attention_output.groups}, "
               f"intermediate {groups.intermediate.groups}, output {groups.output.groups}" if model_type == "squeezebert" else "")
            + f") converted from the Hugging Face checkpoint {name}; embedding = L2-normalised mean pooling"
            + (f"; heads: {', '.join(head_info)} (CLS pooler + classifier, sentence-pair input)" if head_info else ""))
    files = {}
    for f in sorted(set(variants.values()) | {"tokenizer.json"}):
        p = os.path.join(out, f)
        files[f] = {"sha256": sha256_file(p), "bytes": os.path.getsize(p)}
    manifest = {
        "format": 1,
        "name": name,
        "version": version,
        "architecture": model_type,
        "description": desc,
        "variants": variants,
        "tokenizer": "tokenizer.json",
        "max_length": max_length,
        "embedding_dim": hidden,
        "pooling": "mean",
        "inputs": list(oe.INPUTS),
        "outputs": {"embedding": "embedding", **{h: f"{h}_logits" for h in head_info}},
        "heads": {h: {"labels": labels} for h, labels in head_info.items()},
        "files": files,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")

    import tokenizers
    info = {
        "checkpoint": checkpoint, "name": name,
        "converted_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source_files": {os.path.basename(p): sha256_file(p) for p in
                         [weights_file, os.path.join(checkpoint, "config.json")]
                         + [os.path.join(checkpoint, f) for f in ("tokenizer.json", "vocab.txt") if
                            os.path.exists(os.path.join(checkpoint, f))]},
        "tokenizer_from": tok_source, "tokenizer_vocab_size": vocab_size,
        "embedding_rows": int(enc.word_embeddings.shape[0]), "parameters": enc.num_parameters(),
        "ignored_weights": sorted(k for k in state if k.startswith(("cls.", "lm_head", "predictions"))
                                  or (k.startswith("classifier.") and not head_info))[:20],
        "graph": "conv" if conv else "matmul", "opset": oe.OPSET, "int8": oe.INT8_SETTINGS if int8 else None,
        "check": check,
        "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "tokenizers": tokenizers.__version__,
                     "numpy": np.__version__},
    }
    with open(os.path.join(out, "convert.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return info


def main() -> int:
    ap = argparse.ArgumentParser(description="Convert a Hugging Face SqueezeBERT checkpoint into a SqueezeDesk model folder.")
    ap.add_argument("--checkpoint", required=True, help="folder with config.json, model.safetensors or pytorch_model.bin, "
                                                        "tokenizer.json or vocab.txt")
    ap.add_argument("--out", required=True, help="model folder to write")
    ap.add_argument("--name", help="model name in the manifest (default: the checkpoint folder's name)")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--max-length", type=int, default=128, help="tokens per text the engine keeps (default 128)")
    ap.add_argument("--no-int8", action="store_true", help="write the float32 variant only")
    ap.add_argument("--no-heads", action="store_true", help="leave out a classification head even if the checkpoint has one")
    ap.add_argument("--conv", action="store_true", help="float32 graph with grouped Conv nodes instead of MatMul per group")
    args = ap.parse_args()
    info = convert(args.checkpoint, args.out, name=args.name, version=args.version, max_length=args.max_length,
                   int8=not args.no_int8, heads=not args.no_heads, conv=args.conv)
    print(json.dumps({"out": args.out, "check": info["check"], "parameters": info["parameters"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
