"""The golden file tests/golden/squeezebert-mini.json is fresh and reproducible.   python -m pytest models/scripts -q

Fails when models/squeezebert-mini/ was replaced without regenerating the golden file:
    python models/scripts/make_golden.py models/squeezebert-mini tests/golden/squeezebert-mini.json
"""

import json
import os
import sys

import numpy as np
import onnxruntime as ort
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import make_golden  # noqa: E402

MODEL = os.path.join(REPO, "models", "squeezebert-mini")
GOLDEN = os.path.join(REPO, "tests", "golden", "squeezebert-mini.json")
REGEN = "python models/scripts/make_golden.py models/squeezebert-mini tests/golden/squeezebert-mini.json"


@pytest.fixture(scope="module")
def golden():
    if not os.path.exists(os.path.join(MODEL, "manifest.json")):
        pytest.skip("models/squeezebert-mini is absent")
    with open(GOLDEN, encoding="utf-8") as f:
        return json.load(f)


def test_golden_is_fresh(golden):
    manifest = json.load(open(os.path.join(MODEL, "manifest.json"), encoding="utf-8"))
    for variant, file in manifest["variants"].items():
        assert golden["model_sha256"].get(variant) == make_golden.sha256_file(os.path.join(MODEL, file)), \
            f"{file} changed since the golden file was made: run {REGEN}"
    assert golden["tokenizer_sha256"] == make_golden.sha256_file(os.path.join(MODEL, manifest["tokenizer"])), REGEN
    assert [t["text"] for t in golden["texts"]] == make_golden.TEXTS, f"texts changed: run {REGEN}"


def test_golden_tokens_and_fp32_reproduce(golden):
    manifest = json.load(open(os.path.join(MODEL, "manifest.json"), encoding="utf-8"))
    tok = make_golden.load_tokenizer(os.path.join(MODEL, manifest["tokenizer"]), manifest["max_length"])
    sess = ort.InferenceSession(os.path.join(MODEL, manifest["variants"]["fp32"]), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    for t in golden["texts"]:
        assert tok.encode(t["text"]).ids == t["input_ids"], t["text"]
        ids = np.array([t["input_ids"]], np.int64)
        out = dict(zip(names, sess.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                                "token_type_ids": np.zeros_like(ids)})))
        for k, v in t["fp32"].items():
            np.testing.assert_allclose(out[k][0], v, atol=1e-5, rtol=0, err_msg=f"{k}: {t['text']!r}")
