#!/usr/bin/env python3
"""Golden reference outputs of a model folder, for the Rust engine's parity test (issue #4).

    python models/scripts/make_golden.py MODEL_DIR OUT_JSON
    e.g. python models/scripts/make_golden.py models/squeezebert-mini tests/golden/squeezebert-mini.json

Runs every ONNX variant listed in MODEL_DIR/manifest.json ("fp32", "int8", ...) with Python
onnxruntime (CPU execution provider, default session options) on a fixed list of texts, one text
per run (batch 1, no padding), tokenised with the `tokenizers` package from the folder's tokenizer:
padding preset removed, truncation to the manifest's max_length (128) tokens including [CLS] and
[SEP] (longest-first, right side, as the Rust `TextEncoder` does). Inputs are int64 `input_ids`,
`attention_mask` all ones and `token_type_ids` all zeros.

The output JSON:
    {
      "model": {"name", "version", "max_length"},
      "model_sha256": {"fp32": "<sha256 of model.onnx>", "int8": "<sha256 of model_int8.onnx>"},
      "model_files": {"fp32": "model.onnx", "int8": "model_int8.onnx"},
      "tokenizer_sha256": "...",
      "generator": {"onnxruntime": "1.31.1", "tokenizers": "...", "numpy": "..."},
      "texts": [
        {"text": "...", "input_ids": [101, ..., 102], "truncated": false,
         "fp32": {"embedding": [384 floats], "sentiment_logits": [3], "intent_logits": [151]},
         "int8": {...}}
      ]
    }
Keys inside "fp32"/"int8" are the graph output names the manifest's "outputs" map points to. A
model with only `last_hidden_state` gets an "embedding" computed here (mean over tokens, L2
normalised), as the engine does.

Floats are written with full float32 precision (Python's shortest repr of the float32 value).
The texts are fixed in this file: changing them changes the golden file.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import tokenizers
from tokenizers import Tokenizer

# Fixed, varied texts. Keep every text non-empty after normalisation and shorter than 8192
# characters (the Rust engine cuts longer input before tokenising).
LONG_TEXT = (
    "I have been a customer of this bank for more than twelve years, and I have never written a "
    "complaint before, but the last three months have been a disaster from start to finish. First, "
    "my debit card was blocked without warning while I was travelling abroad, and nobody could tell "
    "me why. Then the replacement card was sent to an old address even though I had updated it "
    "twice, once online and once in the branch. When I finally received it, the PIN did not work, "
    "and the automated phone line kept disconnecting me after forty minutes on hold. I would like "
    "someone to explain what happened, refund the international fees I was charged because of the "
    "blocked card, and confirm in writing that my address is correct. If this is not resolved by the "
    "end of the month, I will move my savings, my mortgage and my business account to another bank."
)

TEXTS = [
    "Hi",  # very short
    "Where is my refund? I returned the package two weeks ago.",  # question
    "This is the THIRD time my order arrived broken!!! I want a full refund NOW or I'm cancelling "
    "my account. Absolutely unacceptable.",  # angry complaint
    "Thank you so much, the support team was wonderful and solved it in minutes.",  # positive
    "The meeting is scheduled for 3pm on Tuesday in room 204.",  # neutral statement
    "set an alarm for 7 am tomorrow",  # intent-like command, lower case
    "Crème brûlée at the café in Zürich felt like déjà vu: naïve façade, São Paulo, Ångström, "
    "Øresund, Łódź.",  # accents (stripped by the lower-casing normaliser)
    "Loved it 😍🔥 best purchase ever 👍🏽 #happy 🎉🎉🎉",  # emoji (mostly [UNK])
    "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ, 東京タワー, مرحبا بالعالم, e\u0301 combining, zero\u200bwidth, "
    "ﬁ ligature, Ⅻ, ½, ™, \u00a0nbsp",  # odd Unicode: fullwidth, CJK, Arabic, combining, ZWSP
    "Call +1 (555) 010-9999 or mail support@example.com; see https://example.com/a?b=c&d=e "
    "(ticket #A-1234, 50% off, $19.99).",  # numbers, URL, symbols
    "  Multiple   spaces\tand\nnew lines\r\n and a " + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    + " word  ",  # whitespace, a >100-character word ([UNK])
    LONG_TEXT,  # long: more than 128 tokens, truncated
    "Könnten Sie mir bitte sagen, wann mein Paket ankommt? Merci beaucoup!",  # German / French
]


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_tokenizer(path: str, max_length: int) -> Tokenizer:
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.enable_truncation(max_length=max_length, stride=0, strategy="longest_first", direction="right")
    return tok


def floats(a: np.ndarray) -> list:
    # float32 -> shortest decimal that round-trips to the same float32
    return [float(np.format_float_positional(x, unique=True, trim="-")) if np.isfinite(x) else None
            for x in a.astype(np.float32).ravel()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out_json")
    args = ap.parse_args()

    with open(os.path.join(args.model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    max_length = int(manifest["max_length"])
    tok_path = os.path.join(args.model_dir, manifest["tokenizer"])
    tokenizer = load_tokenizer(tok_path, max_length)

    # Warn (do not fail) when the manifest's checksums are stale: the golden file records the
    # checksums of the files it actually ran.
    for name, entry in manifest.get("files", {}).items():
        path = os.path.join(args.model_dir, name)
        if os.path.exists(path) and sha256_file(path) != entry["sha256"]:
            print(f"WARNING: {name}: sha256 differs from manifest.json", file=sys.stderr)

    outputs = manifest["outputs"]
    wanted = [outputs[k] for k in ("embedding", "last_hidden_state", "sentiment", "intent") if outputs.get(k)]

    encoded = []
    for text in TEXTS:
        enc = tokenizer.encode(text, add_special_tokens=True)
        ids = np.asarray(enc.ids, dtype=np.int64)
        assert len(ids) > 2, f"text gives no tokens: {text!r}"
        encoded.append((text, ids, bool(enc.overflowing)))
    assert any(t for _, _, t in encoded), "one text must be longer than max_length"

    golden = {
        "model": {"name": manifest["name"], "version": manifest["version"], "max_length": max_length},
        "model_sha256": {},
        "model_files": dict(manifest["variants"]),
        "tokenizer_sha256": sha256_file(tok_path),
        "generator": {"script": "models/scripts/make_golden.py", "onnxruntime": ort.__version__,
                      "tokenizers": tokenizers.__version__, "numpy": np.__version__,
                      "session": "CPUExecutionProvider, default SessionOptions, batch 1, no padding",
                      "inputs": "input_ids int64 [1, n]; attention_mask ones; token_type_ids zeros"},
        "texts": [{"text": t, "input_ids": ids.tolist(), "truncated": tr} for t, ids, tr in encoded],
    }

    for variant, file in sorted(manifest["variants"].items()):
        path = os.path.join(args.model_dir, file)
        golden["model_sha256"][variant] = sha256_file(path)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        input_names = {i.name for i in session.get_inputs()}
        for entry, (_, ids, _) in zip(golden["texts"], encoded):
            feeds = {"input_ids": ids[None, :], "attention_mask": np.ones_like(ids)[None, :]}
            if "token_type_ids" in input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)[None, :]
            values = dict(zip(wanted, session.run(wanted, feeds)))
            result = {}
            if outputs.get("last_hidden_state") and not outputs.get("embedding"):
                pooled = values.pop(outputs["last_hidden_state"])[0].mean(axis=0)
                result["embedding"] = floats(pooled / max(np.linalg.norm(pooled), 1e-12))
            for name, value in values.items():
                result[name] = floats(value[0])
            entry[variant] = result
        print(f"{variant}: {file} on {len(encoded)} texts", file=sys.stderr)

    os.makedirs(os.path.dirname(os.path.abspath(args.out_json)), exist_ok=True)
    with open(args.out_json, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {args.out_json} ({os.path.getsize(args.out_json)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
