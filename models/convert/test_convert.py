"""Tests of convert_hf.py (issue #4).   python -m pytest models/convert -q

* test_tiny_*: need only numpy, onnx, onnxruntime, tokenizers, safetensors (CI). They convert the
  committed tiny checkpoint testdata/tiny-squeezebert-mnli/ (made by make_tiny_fixture.py with
  PyTorch) and compare onnxruntime's outputs with the committed PyTorch outputs.
* test_full_shape_*: need torch + transformers (skipped without them): a randomly initialised
  SqueezeBERT of the official shape (hidden 768, 12 layers, groups q/k/v 4, post-attention 1,
  intermediate 4, output 4, vocab 30528), saved as safetensors and as pytorch_model.bin, converted,
  and compared with PyTorch: max |embedding difference| <= 1e-4.
"""

import json
import os
import shutil
import sys

import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import convert_hf  # noqa: E402

TINY = os.path.join(HERE, "testdata", "tiny-squeezebert-mnli")
TINY_REF = os.path.join(HERE, "testdata", "tiny-squeezebert-mnli.reference.json")
SHIPPED_MANIFEST = os.path.join(REPO, "models", "squeezebert-mini", "manifest.json")
MANIFEST_KEYS = ["format", "name", "version", "architecture", "description", "variants", "tokenizer", "max_length",
                 "embedding_dim", "pooling", "inputs", "outputs", "heads", "files"]


def shared_dir():
    for d in (os.environ.get("SQUEEZEDESK_SHARED"), os.path.join(REPO, "..", "shared"), "/work/shared"):
        if d and os.path.isdir(os.path.join(d, "data")):
            return d
    return None


def run(model_dir, variant, ids_list, outputs):
    manifest = json.load(open(os.path.join(model_dir, "manifest.json"), encoding="utf-8"))
    sess = ort.InferenceSession(os.path.join(model_dir, manifest["variants"][variant]),
                                providers=["CPUExecutionProvider"])
    width = max(len(x) for x in ids_list)
    ids = np.zeros((len(ids_list), width), np.int64)
    mask = np.zeros_like(ids)
    for i, x in enumerate(ids_list):
        ids[i, :len(x)], mask[i, :len(x)] = x, 1
    return dict(zip(outputs, sess.run(outputs, {"input_ids": ids, "attention_mask": mask,
                                                "token_type_ids": np.zeros_like(ids)})))


def check_manifest(model_dir, heads, variants):
    manifest = json.load(open(os.path.join(model_dir, "manifest.json"), encoding="utf-8"))
    assert list(manifest) == MANIFEST_KEYS
    if os.path.exists(SHIPPED_MANIFEST):  # the same schema as the shipped model's manifest
        assert list(json.load(open(SHIPPED_MANIFEST, encoding="utf-8"))) == MANIFEST_KEYS
    assert sorted(manifest["variants"]) == sorted(variants)
    assert manifest["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    assert manifest["pooling"] == "mean"
    assert sorted(manifest["heads"]) == sorted(heads)
    assert manifest["outputs"] == {"embedding": "embedding", **{h: f"{h}_logits" for h in heads}}
    for f in list(manifest["variants"].values()) + [manifest["tokenizer"]]:
        path = os.path.join(model_dir, f)
        assert manifest["files"][f] == {"sha256": convert_hf.sha256_file(path), "bytes": os.path.getsize(path)}
    tok = json.load(open(os.path.join(model_dir, manifest["tokenizer"]), encoding="utf-8"))
    assert tok["padding"] is None and tok["truncation"] is None
    return manifest


# ------------------------------------------------------------------------------------------------
# torch-free (CI)
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_converted(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tiny") / "model")
    convert_hf.convert(TINY, out, name="tiny-squeezebert-mnli", max_length=32)
    return out


@pytest.fixture(scope="module")
def tiny_ref():
    with open(TINY_REF, encoding="utf-8") as f:
        return json.load(f)


def test_tiny_fixture_is_small():
    size = sum(os.path.getsize(os.path.join(TINY, f)) for f in os.listdir(TINY))
    assert size < 1_000_000


def test_tiny_manifest(tiny_converted):
    m = check_manifest(tiny_converted, heads=["nli"], variants=["fp32", "int8"])
    assert m["heads"]["nli"]["labels"] == ["entailment", "neutral", "contradiction"]  # from config.json id2label
    assert m["embedding_dim"] == 32 and m["max_length"] == 32 and m["architecture"] == "squeezebert"


def test_tiny_tokenizer_matches_transformers(tiny_converted, tiny_ref):
    tok = Tokenizer.from_file(os.path.join(tiny_converted, "tokenizer.json"))
    tok.enable_truncation(tiny_ref["max_length"])
    for t in tiny_ref["texts"]:
        assert tok.encode(t["text"]).ids == t["input_ids"], t["text"]


def test_tiny_fp32_matches_pytorch(tiny_converted, tiny_ref):
    outputs = ["embedding", "nli_logits"]
    for t in tiny_ref["texts"]:  # one text per run
        got = run(tiny_converted, "fp32", [t["input_ids"]], outputs)
        for k in outputs:
            np.testing.assert_allclose(got[k][0], t[k], atol=1e-5, rtol=0, err_msg=f"{k}: {t['text']!r}")
    got = run(tiny_converted, "fp32", [t["input_ids"] for t in tiny_ref["texts"]], outputs)  # padded batch
    for k in outputs:
        np.testing.assert_allclose(got[k], tiny_ref["padded_batch"][k], atol=1e-5, rtol=0)
        np.testing.assert_allclose(got[k], [t[k] for t in tiny_ref["texts"]], atol=1e-5, rtol=0)


def test_tiny_int8_close_to_pytorch(tiny_converted, tiny_ref):
    got = run(tiny_converted, "int8", [t["input_ids"] for t in tiny_ref["texts"]], ["embedding"])["embedding"]
    cos = (got * np.array([t["embedding"] for t in tiny_ref["texts"]])).sum(axis=1)
    assert cos.min() > 0.98, cos


def test_tiny_headless_and_fp32_only(tmp_path, tiny_ref):
    out = str(tmp_path / "headless")
    convert_hf.convert(TINY, out, name="tiny-headless", max_length=32, int8=False, heads=False, conv=True)
    m = check_manifest(out, heads=[], variants=["fp32"])
    assert m["heads"] == {} and m["outputs"] == {"embedding": "embedding"}
    sess = ort.InferenceSession(os.path.join(out, "model.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in sess.get_outputs()] == ["embedding"]
    got = run(out, "fp32", [t["input_ids"] for t in tiny_ref["texts"]], ["embedding"])["embedding"]
    np.testing.assert_allclose(got, tiny_ref["padded_batch"]["embedding"], atol=1e-5, rtol=0)


def test_tokenizer_from_vocab_matches_bert_base_uncased():
    shared = shared_dir()
    if shared is None:
        pytest.skip("shared/ data not found")
    folder = os.path.join(shared, "data", "bert-base-uncased-tokenizer")
    built = convert_hf.bert_wordpiece_from_vocab(os.path.join(folder, "vocab.txt"))
    ref = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    ref.no_padding()
    ref.no_truncation()
    for text in ["Hello, World!", "Crème brûlée 😍 東京タワー", "a [MASK] b [SEP]", "don't stop-believing!!",
                 "Ｆｕｌｌｗｉｄｔｈ e\u0301 zero\u200bwidth", "x" * 150, "Where is my refund?\tNow.\n"]:
        assert built.encode(text).ids == ref.encode(text).ids, text
        assert built.encode(text, "second").type_ids == ref.encode(text, "second").type_ids


# ------------------------------------------------------------------------------------------------
# Full official shape, against PyTorch (needs torch + transformers)
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full_shape(tmp_path_factory):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from make_tiny_fixture import randomise
    from safetensors.torch import save_file
    shared = shared_dir()
    if shared is None:
        pytest.skip("shared/ data (bert-base-uncased vocab) not found")
    config = transformers.SqueezeBertConfig(
        vocab_size=30528, hidden_size=768, embedding_size=768, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=3072, max_position_embeddings=512, q_groups=4, k_groups=4, v_groups=4,
        post_attention_groups=1, intermediate_groups=4, output_groups=4, num_labels=3)
    model = transformers.SqueezeBertForSequenceClassification(config).eval()
    randomise(model, seed=1)
    with torch.no_grad():  # realistic scale for the weights of the big matrices
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.mul_(0.2)
    root = tmp_path_factory.mktemp("full")
    ckpt = root / "squeezebert-mnli"
    ckpt.mkdir()
    config.save_pretrained(str(ckpt))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(ckpt / "model.safetensors"))
    shutil.copy(os.path.join(shared, "data", "bert-base-uncased-tokenizer", "vocab.txt"), str(ckpt))
    return torch, model, str(ckpt), root, shared


def _torch_outputs(torch, model, ids_list):
    width = max(len(x) for x in ids_list)
    ids = torch.zeros((len(ids_list), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, x in enumerate(ids_list):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    with torch.no_grad():
        out = model.transformer(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))
        m = mask[:, :, None].float()
        emb = torch.nn.functional.normalize((out.last_hidden_state * m).sum(1) / m.sum(1), dim=-1)
        return {"embedding": emb.numpy(), "nli_logits": model.classifier(out.pooler_output).numpy()}


FULL_TEXTS = ["Hi", "Where is my refund? I returned the package two weeks ago.",
              "Crème brûlée 😍 東京", "word " * 200]


def test_full_shape_safetensors_parity(full_shape):
    torch, model, ckpt, root, _ = full_shape
    out = str(root / "converted")
    info = convert_hf.convert(ckpt, out, max_length=128)
    check_manifest(out, heads=["nli"], variants=["fp32", "int8"])
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    tok.enable_truncation(128)
    ids = [tok.encode(t).ids for t in FULL_TEXTS]
    ref = _torch_outputs(torch, model, ids)
    got = run(out, "fp32", ids, ["embedding", "nli_logits"])
    diff = {k: float(np.abs(got[k] - ref[k]).max()) for k in got}
    print(f"full-shape parity (padded batch of {len(ids)}): {diff}; self-check {info['check']}")
    assert diff["embedding"] <= 1e-4
    assert diff["nli_logits"] <= 1e-3
    for x, e in zip(ids, ref["embedding"]):  # batch 1
        assert np.abs(run(out, "fp32", [x], ["embedding"])["embedding"][0] - e).max() <= 1e-4
    q = run(out, "int8", ids, ["embedding"])["embedding"]
    assert (q * ref["embedding"]).sum(axis=1).min() > 0.98


def test_full_shape_pytorch_bin_headless(full_shape):
    torch, model, _, root, shared = full_shape
    ckpt = root / "squeezebert-mnli-headless"
    ckpt.mkdir()
    model.config.save_pretrained(str(ckpt))
    torch.save({"transformer." + k: v for k, v in model.transformer.state_dict().items()}, str(ckpt / "pytorch_model.bin"))
    shutil.copy(os.path.join(shared, "data", "bert-base-uncased-tokenizer", "tokenizer.json"), str(ckpt))
    out = str(root / "headless")
    convert_hf.convert(str(ckpt), out, int8=False)
    check_manifest(out, heads=[], variants=["fp32"])
    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    tok.enable_truncation(128)
    ids = [tok.encode(t).ids for t in FULL_TEXTS]
    diff = np.abs(run(out, "fp32", ids, ["embedding"])["embedding"] - _torch_outputs(torch, model, ids)["embedding"]).max()
    print(f"full-shape parity from pytorch_model.bin: {diff}")
    assert diff <= 1e-4
