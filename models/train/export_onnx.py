#!/usr/bin/env python3
"""Export SqueezeBERT-mini to ONNX (float32 and int8), check and evaluate the exports, write the model card.

Inputs:
    --trained   the folder written by train.py (student.safetensors, config.json, labels.json, eval.json)
    --bundle    the training bundle (for the frozen word embeddings and the evaluation sets)
Outputs (--out):
    model.onnx         float32; inputs input_ids / attention_mask / token_type_ids (int64 [batch, seq]);
                       outputs embedding [batch, 384] (L2-normalised masked mean of the last hidden
                       state), sentiment_logits [batch, 3], intent_logits [batch, 151]
    model_int8.onnx    the same, dynamically quantised to int8 (see below)
    tokenizer.json     bert-base-uncased WordPiece (the teacher's), without truncation/padding presets
    labels.json        sentiment and intent label names in output order
    config.json        the SqueezeBertConfig of the encoder
    eval-onnx.json     parity checks and the full evaluation run with ONNX Runtime on both files
    README.md          the model card
    model.safetensors  (only with --hf-checkpoint) the full float32 checkpoint, heads included

int8: onnxruntime's quantize_dynamic (int8 weights with reduce_range, i.e. 7 bits, per output channel;
activations quantised on the fly). Full 8-bit weights saturate ONNX Runtime's integer kernels on x86 CPUs
without VNNI (see quantize()). ONNX Runtime's integer convolution (ConvInteger) is several times slower on CPU than the
float32 convolution, so the int8 file is quantised from an equivalent graph in which every 1x1
convolution is written as matrix products (one per group) and only MatMul nodes with constant
weights and the word-embedding Gather are quantised. The float32 file keeps the library's Conv graph.
The choice is measured and recorded in eval-onnx.json ("int8_variants").

Usage:
    python export_onnx.py --trained path/to/train_output --data /path/to/shared/data --out OUTDIR [--bundle .train]
"""

import argparse
import collections
import copy
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from torch import nn
from transformers import SqueezeBertConfig

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from squeezebert_mini.data import Bundle, TextSet  # noqa: E402
from squeezebert_mini.evaluation import evaluate, evaluation_sets  # noqa: E402
from squeezebert_mini.model import SENTIMENT_LABELS, load_student, load_teacher_state  # noqa: E402

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["embedding", "sentiment_logits", "intent_logits"]
OPSET = 17


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------

class PointwiseConvAsMatMul(nn.Module):
    """A 1x1 Conv1d (any number of groups) on [N, C, W], computed as one matrix product per group.

    Same function as the convolution; in ONNX it becomes MatMul nodes with constant 2-D weights,
    which quantize_dynamic turns into the fast MatMulInteger.
    """

    def __init__(self, conv: nn.Conv1d):
        super().__init__()
        weight = conv.weight.detach()[:, :, 0]  # [out, in / groups]
        out_per_group = weight.shape[0] // conv.groups
        self.in_per_group = conv.in_channels // conv.groups
        self.weights = nn.ParameterList(
            [nn.Parameter(weight[g * out_per_group:(g + 1) * out_per_group].t().contiguous()) for g in range(conv.groups)])
        self.bias = nn.Parameter(conv.bias.detach().clone())

    def forward(self, x):
        x = x.transpose(1, 2)  # [N, W, C]
        if len(self.weights) == 1:
            y = x @ self.weights[0]
        else:
            parts = x.split(self.in_per_group, dim=-1)
            y = torch.cat([p @ w for p, w in zip(parts, self.weights)], dim=-1)
        return (y + self.bias).transpose(1, 2)


def convs_as_matmuls(model: nn.Module) -> nn.Module:
    model = copy.deepcopy(model)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Conv1d) and child.kernel_size == (1,):
                setattr(module, name, PointwiseConvAsMatMul(child))
    return model.eval()


def export(model: nn.Module, path: str, example: tuple, metadata: dict) -> None:
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    dynamic.update({name: {0: "batch"} for name in OUTPUTS})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter warns that it is the legacy one
        torch.onnx.export(model, example, path, input_names=INPUTS, output_names=OUTPUTS, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    fix_outputs(path, metadata)


def fix_outputs(path: str, metadata: dict) -> None:
    """Name the output dimensions plainly (batch, 384 / 3 / 151) and store the label names."""
    m = onnx.load(path)
    sizes = {"embedding": 384, "sentiment_logits": len(metadata["sentiment"]), "intent_logits": len(metadata["intent"])}
    for out in m.graph.output:
        dims = out.type.tensor_type.shape.dim
        dims[0].dim_param = "batch"
        dims[1].Clear()
        dims[1].dim_value = sizes[out.name]
    del m.metadata_props[:]
    for key, value in {"sentiment_labels": json.dumps(metadata["sentiment"]),
                       "intent_labels": json.dumps(metadata["intent"]),
                       "embedding": "L2-normalised masked mean of the last hidden state",
                       "tokenizer": "bert-base-uncased WordPiece (tokenizer.json), [CLS] text [SEP], max 512 tokens"}.items():
        prop = m.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.checker.check_model(m)
    onnx.save(m, path)


def int8_summary(path: str) -> dict:
    """What a quantised graph holds in int8: integer matrix products / convolutions, embedding table."""
    m = onnx.load(path)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    int8_tables = [t for t in m.graph.initializer if t.data_type in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
                   and len(t.dims) == 2 and t.dims[0] == 30522]
    return {"MatMulInteger": ops["MatMulInteger"], "ConvInteger": ops["ConvInteger"],
            "word_embeddings_int8": bool(int8_tables)}


def quantize(src: str, dst: str, op_types: list[str], reduce_range: bool = True) -> None:
    """reduce_range=True: 7-bit weights. ONNX Runtime's u8s8 integer kernels on x86 CPUs WITHOUT VNNI (AVX2-only,
    AVX-512 without VNNI) add pairs of uint8 x int8 products in 16 bits (vpmaddubsw), which saturates with full
    8-bit weights: measured on an AVX2-only EPYC VM, 8-bit weights gave embedding cosine to float32 min 0.89 /
    intent argmax agreement 75 %; 7-bit weights 0.996 / 95 %. On VNNI CPUs 7-bit weights cost little."""
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic suggests an optional pre-processing step
    quantize_dynamic(src, dst, op_types_to_quantize=op_types, per_channel=True, weight_type=QuantType.QInt8,
                     reduce_range=reduce_range)


# --------------------------------------------------------------------------------------------
# ONNX Runtime inference
# --------------------------------------------------------------------------------------------

def ort_encoder(path: str):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

    def encode(texts: TextSet) -> dict:
        out = {"embedding": np.zeros((len(texts), 384), np.float32), "sentiment": None, "intent": None}
        for index, ids, mask in texts.sorted_batches(max_tokens=8192, max_batch=128):
            emb, sent, intent = session.run(OUTPUTS, {"input_ids": ids, "attention_mask": mask,
                                                      "token_type_ids": np.zeros_like(ids)})
            if out["sentiment"] is None:
                out["sentiment"] = np.zeros((len(texts), sent.shape[1]), np.float32)
                out["intent"] = np.zeros((len(texts), intent.shape[1]), np.float32)
            out["embedding"][index], out["sentiment"][index], out["intent"][index] = emb, sent, intent
        return out

    return encode


def compare(ref: dict, other: dict) -> dict:
    cos = (ref["embedding"] * other["embedding"]).sum(axis=1)
    return {"max_abs_diff": {k: float(np.abs(ref[k] - other[k]).max()) for k in ("embedding", "sentiment", "intent")},
            "embedding_cosine_min": float(cos.min()), "embedding_cosine_mean": float(cos.mean()),
            "sentiment_argmax_agreement": float(np.mean(ref["sentiment"].argmax(1) == other["sentiment"].argmax(1))),
            "intent_argmax_agreement": float(np.mean(ref["intent"].argmax(1) == other["intent"].argmax(1)))}


def timed(encode, texts) -> tuple[dict, float]:
    encode(texts.subset(np.arange(min(64, len(texts)))))  # warm-up
    t = time.time()
    out = encode(texts)
    return out, time.time() - t


# --------------------------------------------------------------------------------------------
# Model card
# --------------------------------------------------------------------------------------------

METRIC_NAMES = {
    "stsb_spearman": "STS-B test, Spearman x100 (cosine)",
    "sst2_dev_acc": "SST-2 dev accuracy (binary)",
    "sst2_test_acc": "SST-2 test accuracy (binary)",
    "tweet_macro_f1": "TweetEval sentiment, held-out half of test, macro-F1 (3 classes)",
    "tweet_acc": "TweetEval sentiment, held-out half of test, accuracy",
    "clinc_inscope_acc": "CLINC150 test, in-scope accuracy (151-way)",
    "clinc_oos_recall": "CLINC150 test, out-of-scope recall",
    "banking77_centroid_acc": "Banking77 test, nearest-centroid accuracy (embeddings only)",
    "stackfaq_mrr_question": "StackFAQ, MRR x100, query -> question title (125)",
    "stackfaq_mrr_answer": "StackFAQ, MRR x100, query -> answer (719)",
    "support_macro_f1": "Support messages (held-out set, 2,400), sentiment macro-F1",
    "support_acc": "Support messages (held-out set), sentiment accuracy",
    "support_neg_recall": "Support messages (held-out set), negative recall",
    "support_probe_acc": "Support messages, hand-written probe (45), accuracy",
}


def model_card(train_eval: dict, onnx_eval: dict, n_params: dict, sizes: dict, config: SqueezeBertConfig,
               manifest: dict) -> str:
    teacher, student = train_eval["teacher"], train_eval["student"]
    fp32, int8 = onnx_eval["onnx_fp32"], onnx_eval["onnx_int8"]
    rows = []
    for key, label in METRIC_NAMES.items():
        if key in student:
            rows.append(f"| {label} | {teacher.get(key, float('nan')):.2f} | {student[key]:.2f} | "
                        f"{fp32[key]:.2f} | {int8[key]:.2f} |")
    limit_note = ""
    if train_eval["notes"].get("eval_limit") or onnx_eval.get("eval_limit"):
        limit_note = (f"\n**These figures come from a reduced check run (at most "
                      f"{train_eval['notes'].get('eval_limit') or onnx_eval.get('eval_limit')} texts per evaluation set) "
                      "and do not describe a trained model.**\n")
    training = train_eval["training"]
    parity = onnx_eval["parity"]
    device = train_eval["versions"].get("device", "")
    q = onnx_eval["int8_variants"]["chosen"]["quantised"]
    int8_ops = f"{q['MatMulInteger']} MatMulInteger nodes (7-bit int8 weights per output channel, activations quantised on the fly)" + (
        " and the word-embedding table (8 bits, one scale for the table)" if q["word_embeddings_int8"] else "")
    iv = onnx_eval["int8_variants"]
    teacher_cos = manifest["checks"]["compact_vs_original_teacher_embedding_cosine"]["mean"]
    wiki = manifest["wikipedia"]["sentences"]
    return f"""# SqueezeBERT-mini (sentence embeddings, sentiment, intent)

A small English sentence encoder for offline use: SqueezeBERT architecture at MiniLM-L6 width,
distilled from [all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2),
with two classification heads. One forward pass gives

* `embedding` [batch, 384]: L2-normalised mean of the last hidden state over real tokens
  (compare with a dot product = cosine similarity), for semantic search and few-shot classification;
* `sentiment_logits` [batch, 3]: negative, neutral, positive;
* `intent_logits` [batch, 151]: the 150 CLINC150 intents and `oos` (out of scope), see `labels.json`.
{limit_note}
## Files

| file | what | size |
|---|---|---|
| `model.onnx` | float32 ONNX (opset {OPSET}) | {sizes['model.onnx']} |
| `model_int8.onnx` | int8 dynamically quantised ONNX | {sizes['model_int8.onnx']} |
| `tokenizer.json` | bert-base-uncased WordPiece tokenizer (`tokenizers` format), no truncation/padding preset | {sizes['tokenizer.json']} |
| `labels.json` | label names of both heads, in output order | {sizes['labels.json']} |
| `config.json` | `transformers.SqueezeBertConfig` of the encoder | {sizes['config.json']} |
| `eval-onnx.json` | parity checks and evaluation of both ONNX files | {sizes['eval-onnx.json']} |

Inputs (all int64 [batch, sequence]): `input_ids` (`[CLS] text [SEP]`, padded with 0), `attention_mask`
(1 for real tokens), `token_type_ids` (all 0). Sequences may be up to 512 tokens, but training used at
most 128 tokens per text: truncate to 128 for the behaviour measured here. Lower-case handling and
accent stripping are done by the tokenizer.

## Architecture

`transformers.SqueezeBertModel` ({config.num_hidden_layers} layers, hidden size {config.hidden_size},
{config.num_attention_heads} attention heads, intermediate size {config.intermediate_size}, vocabulary 30,522,
512 positions). SqueezeBERT keeps BERT's self-attention but computes the position-wise fully connected
layers as 1x1 convolutions, most of them grouped: query/key/value {config.q_groups} groups, the projection
after attention {config.post_attention_groups} group, intermediate {config.intermediate_groups} groups,
output {config.output_groups} groups. Two linear heads read the mean-pooled last hidden state.

Parameters: {n_params['total'] / 1e6:.2f} M in all; word embeddings {n_params['word_embeddings'] / 1e6:.2f} M,
transformer layers {n_params['layers'] / 1e6:.2f} M (the teacher's layers have 10.65 M),
other embeddings and pooler {n_params['other'] / 1e6:.2f} M, heads {n_params['heads'] / 1e6:.3f} M.
(The unused CLS pooler of SqueezeBertModel is in the checkpoint, copied from the teacher, not in the ONNX graphs.)

## Training

* Initialisation from the teacher, all-MiniLM-L6-v2 (a 6-layer BertModel of the same width): embeddings
  and LayerNorms copied; each dense layer's weight W[out, in] becomes the grouped convolution weight made
  of its block-diagonal blocks (group g keeps rows g*out/G..(g+1)*out/G and columns g*in/G..(g+1)*in/G);
  biases copied.
* Teacher weights as used: word embeddings int8 with one scale per row, everything else float16 (mean
  cosine of the resulting sentence embeddings to the original's: {teacher_cos:.5f}). The student's word embeddings
  are these de-quantised teacher embeddings and stayed frozen.
* Phase 1 (60 % of the time): distillation on Wikipedia sentences and the texts of the labelled sets:
  per-layer hidden-state MSE against the teacher plus (1 - cosine) between the pooled embeddings.
  Phase 2: the same distillation loss as a regulariser, plus cross-entropy for sentiment and intent.
* {training['steps']} steps, {training['sentences']:,} sentences in {training['train_s']:.0f} s ({device}).
  Texts were at most 128 tokens.

## Data and licenses

| data | used for | license |
|---|---|---|
| all-MiniLM-L6-v2 (teacher), bert-base-uncased vocabulary | initialisation, distillation targets, tokenizer | Apache-2.0 |
| English Wikipedia sentences ({wiki:,}) | distillation text | CC BY-SA 3.0 / GFDL |
| SST-2 train phrases (>= 3 words) | sentiment (negative/positive) | not stated by the authors |
| UCI sentiment labelled sentences (Amazon, IMDb, Yelp) | sentiment | CC BY 4.0 |
| TweetEval sentiment: val + a fixed half of test | sentiment (3 classes) | not stated; Twitter terms apply |
| Subjectivity dataset v1.0, objective sentences (NLTK) | sentiment (neutral) | CC BY 4.0 |
| CLINC150 (`data_oos_plus`) train (+ val unless `--no-clinc-val`) | intent; its in-scope train queries also as neutral sentiment | CC BY 3.0 |
| Support-message sentiment (`build_support_sentiment.py`): TRAIN utterances of CLINC150, Banking77, HWU64, SNIPS with sentiment framings, weak labels from the Hu & Liu opinion lexicon | sentiment (3 classes) | CC BY 3.0 / CC BY 4.0 / CC BY 4.0 / CC0; lexicon CC BY 4.0 |
| STS Benchmark test | evaluation | scores CC BY-SA 4.0, texts per source |
| SST-2 dev/test, TweetEval (other half of test), CLINC150 test | evaluation | as above |
| Banking77 | evaluation | CC BY 4.0 |
| StackFAQ (Stack Exchange Web Applications) | evaluation | Stack Exchange content CC BY-SA |

Not used for training: the rt-polarity (`sentence_polarity`) and `movie_reviews` corpora and the
subjective half of the subjectivity corpus, which overlap with SST-2's evaluation sentences.
Attribution is required for the CC BY sets; the SST-2 and TweetEval licences are unclear, so check them
before commercial use.

## Evaluation

Teacher: all-MiniLM-L6-v2 as used for training; it has no sentiment/intent heads, so its rows for those
tasks use linear probes (logistic regression on its frozen mean-pooled embeddings) fitted on exactly the
student's sentiment and intent training data. Student (PyTorch): float32 on the training machine.
ONNX rows: the exported files run with ONNX Runtime on CPU. All figures in percent (MRR x 100).
Texts truncated to 128 tokens.

| metric | teacher | student (PyTorch) | student ONNX fp32 | student ONNX int8 |
|---|---|---|---|---|
{chr(10).join(rows)}

SST-2 accuracy uses the sentiment head as a binary classifier (positive if its positive logit exceeds its
negative logit). Banking77 and StackFAQ measure the embeddings alone (no training on those sets):
Banking77 uses the mean embedding of each intent's training utterances as a prototype, as an app would for
user-defined intents. The teacher was trained on Stack Exchange question/answer pairs, which may include
these StackFAQ threads.

Export checks (max |ONNX - PyTorch| over {parity['texts']} texts): float32 embedding {parity['fp32']['max_abs_diff']['embedding']:.1e},
sentiment logits {parity['fp32']['max_abs_diff']['sentiment']:.1e}, intent logits {parity['fp32']['max_abs_diff']['intent']:.1e};
int8 embedding cosine to float32 min {parity['int8']['embedding_cosine_min']:.4f} / mean {parity['int8']['embedding_cosine_mean']:.4f},
intent argmax agreement {100 * parity['int8']['intent_argmax_agreement']:.1f} %, sentiment {100 * parity['int8']['sentiment_argmax_agreement']:.1f} %;
largest loss of int8 against float32 in the table: {max(onnx_eval['int8_drop_vs_fp32'].values()):.2f} points.
int8 max |ONNX int8 - PyTorch|: embedding {parity['int8']['max_abs_diff']['embedding']:.3f}, sentiment logits
{parity['int8']['max_abs_diff']['sentiment']:.3f}, intent logits {parity['int8']['max_abs_diff']['intent']:.3f}.
int8 file: {int8_ops}. Its 1x1
convolutions are written as matrix products (same function, one per group), because ONNX Runtime's
integer convolution is slow on CPU: on {iv['texts']} texts here, float32 took {iv['variants']['float32 (Conv)']['seconds']:.1f} s,
this int8 file {iv['chosen']['seconds']:.1f} s and an int8 file with ConvInteger
{iv['variants']['int8 ConvInteger+MatMul+Gather']['seconds']:.1f} s (`eval-onnx.json`, "int8_variants").

## Intended use and limits

* English only, lower-cased input; short texts (queries, sentences, short paragraphs).
* Embeddings: semantic search / FAQ retrieval, clustering, nearest-centroid intent classification for
  custom intents from a few examples. They approximate the teacher's and are somewhat weaker.
* Sentiment: 3 classes trained mostly on movie/product reviews, tweets and neutral queries; domain
  shift (other domains, sarcasm, long texts) lowers accuracy. Neutral is learnt mostly from queries,
  plot summaries and tweets.
* Intent: only the 150 CLINC150 intents (banking, travel, home, work, small talk, ...) plus `oos`;
  for other intents use the embeddings with examples. Out-of-scope detection is a plain class here; calibrate it
  with calibrate_oos.py (temperature + threshold, written to manifest.json by write_manifest.py).
* Not for decisions about people; biases of Wikipedia, reviews and tweets carry over.
"""


# --------------------------------------------------------------------------------------------

def human_size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


def main():
    repo = os.path.normpath(os.path.join(HERE, "..", ".."))  # the repository root (models/train/..)
    ap = argparse.ArgumentParser(description="Export SqueezeBERT-mini to ONNX, check and evaluate it, write the model card.")
    ap.add_argument("--trained", required=True, help="folder written by train.py")
    ap.add_argument("--bundle", default=os.path.join(repo, ".train"))
    ap.add_argument("--out", required=True, help="output folder (e.g. a staging folder, then copy to models/squeezebert-mini)")
    ap.add_argument("--data", required=True, help="the data folder (for the tokenizer)")
    ap.add_argument("--tokenizer", default=None, help="default: DATA/teacher-all-MiniLM-L6-v2/tokenizer.json")
    ap.add_argument("--eval-limit", type=int, default=None, help="evaluate on at most this many texts per set (quick check)")
    ap.add_argument("--hf-checkpoint", action="store_true", help="also write model.safetensors (full float32 checkpoint)")
    args = ap.parse_args()
    args.tokenizer = args.tokenizer or os.path.join(args.data, "teacher-all-MiniLM-L6-v2", "tokenizer.json")
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    torch.set_grad_enabled(False)

    with open(os.path.join(args.trained, "labels.json"), encoding="utf-8") as f:
        labels = json.load(f)
    with open(os.path.join(args.trained, "eval.json"), encoding="utf-8") as f:
        train_eval = json.load(f)
    assert tuple(labels["sentiment"]) == SENTIMENT_LABELS
    config = SqueezeBertConfig.from_json_file(os.path.join(args.trained, "config.json"))
    word_embeddings = load_teacher_state(args.bundle)["embeddings.word_embeddings.weight"]
    student = load_student(os.path.join(args.trained, "student.safetensors"), config, len(labels["intent"]), word_embeddings)
    n_params = {
        "total": sum(p.numel() for p in student.parameters()),
        "word_embeddings": word_embeddings.numel(),
        "layers": sum(p.numel() for p in student.transformer.encoder.parameters()),
        "heads": sum(p.numel() for m in (student.sentiment_head, student.intent_head) for p in m.parameters()),
    }
    n_params["other"] = n_params["total"] - n_params["word_embeddings"] - n_params["layers"] - n_params["heads"]
    print(f"student rebuilt: {n_params['total'] / 1e6:.2f} M parameters", flush=True)

    bundle = Bundle(args.bundle)
    # Parity probe: texts of many lengths, padded together (includes long StackFAQ answers).
    probe = TextSet.concat([bundle["stsb_test_a"].subset(np.arange(48)), bundle["clinc_test"].subset(np.arange(48)),
                            bundle["stackfaq_answers"].subset(np.arange(32))])
    ids, mask = probe.batch(np.arange(len(probe)))
    example = tuple(torch.from_numpy(x) for x in (ids[:4], mask[:4], np.zeros_like(ids[:4])))

    fp32_path = os.path.join(args.out, "model.onnx")
    int8_path = os.path.join(args.out, "model_int8.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        print("exporting ...", flush=True)
        export(student, fp32_path, example, labels)
        matmul_path = os.path.join(tmp, "matmul.onnx")
        export(convs_as_matmuls(student), matmul_path, example, labels)
        quantize(matmul_path, int8_path, ["MatMul", "Gather"])
        fix_outputs(int8_path, labels)
        conv_int8_path = os.path.join(tmp, "conv_int8.onnx")  # for comparison only
        quantize(fp32_path, conv_int8_path, ["Conv", "MatMul", "Gather"])
        full8_path = os.path.join(tmp, "matmul_int8_8bit.onnx")  # for comparison only
        quantize(matmul_path, full8_path, ["MatMul", "Gather"], reduce_range=False)

        # Parity with PyTorch on the probe batch (one padded batch of mixed lengths).
        def torch_out():
            e, s, i = student(*(torch.from_numpy(x) for x in (ids, mask, np.zeros_like(ids))))
            return {"embedding": e.numpy(), "sentiment": s.numpy(), "intent": i.numpy()}

        def onnx_out(path):
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            e, s, i = sess.run(OUTPUTS, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            return {"embedding": e, "sentiment": s, "intent": i}

        ref = torch_out()
        parity = {"texts": len(probe), "fp32": compare(ref, onnx_out(fp32_path)),
                  "matmul_form_fp32": compare(ref, onnx_out(matmul_path)), "int8": compare(ref, onnx_out(int8_path))}
        print(f"parity fp32: {parity['fp32']['max_abs_diff']}; int8: cosine min {parity['int8']['embedding_cosine_min']:.4f}",
              flush=True)
        if parity["fp32"]["max_abs_diff"]["embedding"] > 1e-4 or parity["matmul_form_fp32"]["max_abs_diff"]["embedding"] > 1e-4:
            raise SystemExit("ONNX float32 export does not match PyTorch")

        # int8 variants on a sample: speed and agreement with float32.
        sample = TextSet.concat([bundle["banking77_test"].subset(np.arange(0, 3080, 3)),
                                 bundle["stackfaq_answers"].subset(np.arange(0, 719, 7))])
        ref_sample, t_fp32 = timed(ort_encoder(fp32_path), sample)
        variants = {"float32 (Conv)": {"seconds": round(t_fp32, 2)}}
        for name, path, ops in (("int8 MatMul+Gather, convolutions as MatMul (chosen)", int8_path, ["MatMul", "Gather"]),
                                ("int8 MatMul+Gather, 8-bit weights (no reduce_range)", full8_path, ["MatMul", "Gather"]),
                                ("int8 ConvInteger+MatMul+Gather", conv_int8_path, ["Conv", "MatMul", "Gather"])):
            out, secs = timed(ort_encoder(path), sample)
            c = compare(ref_sample, out)
            variants[name] = {"op_types": ops, "seconds": round(secs, 2), "size_bytes": os.path.getsize(path),
                              "quantised": int8_summary(path),
                              "embedding_cosine_mean": c["embedding_cosine_mean"],
                              "intent_argmax_agreement": c["intent_argmax_agreement"]}
            print(f"{name}: {secs:.2f} s vs float32 {t_fp32:.2f} s on {len(sample)} texts, "
                  f"cosine mean {c['embedding_cosine_mean']:.4f}", flush=True)
        int8_variants = {"texts": len(sample), "variants": variants,
                         "chosen": variants["int8 MatMul+Gather, convolutions as MatMul (chosen)"]}

    # Full evaluation with ONNX Runtime.
    eval_sets = evaluation_sets(bundle.sets, limit=args.eval_limit)
    results = {}
    for name, path in (("onnx_fp32", fp32_path), ("onnx_int8", int8_path)):
        t = time.time()
        results[name] = evaluate(ort_encoder(path), eval_sets, labels["intent"])
        print(f"evaluated {name} in {time.time() - t:.0f} s", flush=True)
    drops = {k: round(results["onnx_fp32"][k] - results["onnx_int8"][k], 2) for k in results["onnx_fp32"]}
    if max(drops.values()) > 2.0:
        print(f"WARNING: the int8 model loses up to {max(drops.values()):.2f} points against float32: {drops}", flush=True)
    onnx_eval = {**results, "int8_drop_vs_fp32": drops, "parity": parity, "int8_variants": int8_variants,
                 "eval_limit": args.eval_limit,
                 "onnxruntime": ort.__version__, "opset": OPSET,
                 "notes": "ONNX Runtime CPUExecutionProvider; texts truncated to 128 tokens; percent, MRR x 100"}
    with open(os.path.join(args.out, "eval-onnx.json"), "w", encoding="utf-8") as f:
        json.dump(onnx_eval, f, indent=1)

    # Tokenizer without truncation/padding presets, labels, config.
    tok = Tokenizer.from_file(args.tokenizer)
    tok.no_truncation()
    tok.no_padding()
    tok.save(os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump({"sentiment": labels["sentiment"], "intent": labels["intent"]}, f, indent=1)
    shutil.copyfile(os.path.join(args.trained, "config.json"), os.path.join(args.out, "config.json"))
    if args.hf_checkpoint:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in student.state_dict().items()}, os.path.join(args.out, "model.safetensors"),
                  metadata={"format": "pt"})

    sizes = {f: human_size(os.path.getsize(os.path.join(args.out, f))) for f in os.listdir(args.out)}
    sizes["README.md"] = ""
    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(model_card(train_eval, onnx_eval, n_params, sizes, config, bundle.manifest))

    print(f"\n{'metric (%)':26s} {'teacher':>8s} {'student':>8s} {'onnx32':>8s} {'int8':>8s}")
    for k in results["onnx_fp32"]:
        print(f"{k:26s} {train_eval['teacher'].get(k, float('nan')):8.2f} {train_eval['student'].get(k, float('nan')):8.2f} "
              f"{results['onnx_fp32'][k]:8.2f} {results['onnx_int8'][k]:8.2f}")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
