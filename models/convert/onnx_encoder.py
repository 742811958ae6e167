"""Build a BERT / SqueezeBERT encoder as an ONNX graph directly from numpy weights (no PyTorch).

Used by `convert_hf.py` (official SqueezeBERT checkpoints) and `models/scripts/make_baselines.py`
(all-MiniLM-L6-v2, BERT-base and SqueezeBERT-base shapes). Only standard ONNX operators (opset 17)
are used, so any ONNX Runtime >= 1.14 runs the files, the Rust engine's 1.31 included.

Architecture (the same function as `transformers.BertModel` / `transformers.SqueezeBertModel`):
  embeddings  = LayerNorm(word[input_ids] + position[0..seq) + token_type[token_type_ids])
  each layer  = self-attention (q/k/v projections, softmax(q k^T / sqrt(d) + mask) v),
                post-attention projection + residual + LayerNorm,
                intermediate projection + activation, output projection + residual + LayerNorm.
SqueezeBERT differs from BERT only in that its projections are 1x1 convolutions, most of them
grouped (block-diagonal weights); BERT is the special case of one group. Activations are kept in
[batch, seq, channels] layout; a grouped projection is written either as one MatMul per group
(Split -> MatMul -> Concat, the form that int8 dynamic quantisation turns into MatMulInteger) or,
with `conv=True`, as a grouped Conv between two Transposes (what the PyTorch exporter produces).

Outputs (any subset):
  embedding          [batch, hidden]  mean of the last hidden state over real tokens
                                      (attention_mask = 1), L2-normalised (sentence-transformers)
  last_hidden_state  [batch, seq, hidden]
  <head>_logits      [batch, labels]  classifier on the CLS pooler (dense + tanh on token 0),
                                      as in `SqueezeBertForSequenceClassification`

Weights are given in a canonical form, see `Encoder`; `from_squeezebert_state` and
`from_bert_state` map Hugging Face state dicts (numpy arrays) onto it.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # onnx >= 1.17 writes IR 10+ by default; ONNX Runtime 1.31 reads at most IR 13
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FLOAT_MIN = float(np.finfo(np.float32).min)


@dataclasses.dataclass
class Linear:
    """A projection y = x W^T + b with `groups` block-diagonal groups.

    weight: [out, in / groups] (a 1x1 Conv1d weight without its last axis; a dense layer when
    groups == 1). Group g maps input channels g*in/G..(g+1)*in/G to outputs g*out/G..(g+1)*out/G.
    """
    weight: np.ndarray
    bias: np.ndarray
    groups: int = 1


@dataclasses.dataclass
class LayerNorm:
    weight: np.ndarray
    bias: np.ndarray


@dataclasses.dataclass
class Layer:
    query: Linear
    key: Linear
    value: Linear
    attention_output: Linear
    attention_norm: LayerNorm
    intermediate: Linear
    output: Linear
    output_norm: LayerNorm


@dataclasses.dataclass
class Encoder:
    word_embeddings: np.ndarray        # [vocab, hidden]
    position_embeddings: np.ndarray    # [max_positions, hidden]
    token_type_embeddings: np.ndarray  # [types, hidden]
    embedding_norm: LayerNorm
    layers: list
    num_heads: int
    activation: str = "gelu"          # gelu (erf), gelu_new / gelu_pytorch_tanh (tanh approx.), relu
    layer_norm_eps: float = 1e-12
    pooler: Linear | None = None       # CLS pooler (dense + tanh), only needed by heads
    heads: dict = dataclasses.field(default_factory=dict)  # name -> Linear classifier on the pooler

    @property
    def hidden_size(self) -> int:
        return self.word_embeddings.shape[1]

    def num_parameters(self) -> int:
        total = 0
        for value in _arrays(self):
            total += value.size
        return total


def _arrays(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _arrays(getattr(obj, f.name))
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _arrays(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _arrays(x)


# ------------------------------------------------------------------------------------------------
# Hugging Face state dicts -> Encoder
# ------------------------------------------------------------------------------------------------

def normalise_keys(state: dict, prefixes=("transformer.", "squeezebert.", "bert.", "model.")) -> dict:
    """Strip a base-model prefix and map old LayerNorm names (gamma/beta) to weight/bias."""
    out = {}
    for key, value in state.items():
        for p in prefixes:
            if key.startswith(p):
                key = key[len(p):]
                break
        key = re.sub(r"\.gamma$", ".weight", key)
        key = re.sub(r"\.beta$", ".bias", key)
        out[key] = value
    return out


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _linear_from_conv(state, name, groups_hint=None) -> Linear:
    w = _f32(state[name + ".weight"])
    if w.ndim == 3:
        assert w.shape[2] == 1, f"{name}: kernel size {w.shape[2]} != 1"
        w = w[:, :, 0]
    b = _f32(state[name + ".bias"])
    return Linear(w, b, groups_hint or 1)


def from_squeezebert_state(state: dict, config: dict) -> Encoder:
    """`transformers.SqueezeBertModel` weights (keys without the `transformer.` prefix)."""
    hidden = config["hidden_size"]
    inter = config["intermediate_size"]
    if config.get("embedding_size", hidden) != hidden:
        raise ValueError("SqueezeBERT needs embedding_size == hidden_size")

    def conv(name, cin, groups):
        lin = _linear_from_conv(state, name)
        if lin.weight.shape[1] * groups != cin:
            raise ValueError(f"{name}: weight {lin.weight.shape} does not fit {cin} inputs in {groups} groups")
        lin.groups = groups
        return lin

    layers = []
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layers.{i}."
        layers.append(Layer(
            query=conv(p + "attention.query", hidden, config.get("q_groups", 4)),
            key=conv(p + "attention.key", hidden, config.get("k_groups", 4)),
            value=conv(p + "attention.value", hidden, config.get("v_groups", 4)),
            attention_output=conv(p + "post_attention.conv1d", hidden, config.get("post_attention_groups", 1)),
            attention_norm=LayerNorm(_f32(state[p + "post_attention.layernorm.weight"]),
                                     _f32(state[p + "post_attention.layernorm.bias"])),
            intermediate=conv(p + "intermediate.conv1d", hidden, config.get("intermediate_groups", 4)),
            output=conv(p + "output.conv1d", inter, config.get("output_groups", 4)),
            output_norm=LayerNorm(_f32(state[p + "output.layernorm.weight"]), _f32(state[p + "output.layernorm.bias"])),
        ))
    return _encoder_common(state, config, layers)


def from_bert_state(state: dict, config: dict) -> Encoder:
    """`transformers.BertModel` weights (keys without the `bert.` prefix)."""
    def dense(name):
        return Linear(_f32(state[name + ".weight"]), _f32(state[name + ".bias"]), 1)

    layers = []
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        layers.append(Layer(
            query=dense(p + "attention.self.query"), key=dense(p + "attention.self.key"),
            value=dense(p + "attention.self.value"), attention_output=dense(p + "attention.output.dense"),
            attention_norm=LayerNorm(_f32(state[p + "attention.output.LayerNorm.weight"]),
                                     _f32(state[p + "attention.output.LayerNorm.bias"])),
            intermediate=dense(p + "intermediate.dense"), output=dense(p + "output.dense"),
            output_norm=LayerNorm(_f32(state[p + "output.LayerNorm.weight"]), _f32(state[p + "output.LayerNorm.bias"])),
        ))
    return _encoder_common(state, config, layers)


def _encoder_common(state, config, layers) -> Encoder:
    pooler = None
    if "pooler.dense.weight" in state:
        pooler = Linear(_f32(state["pooler.dense.weight"]), _f32(state["pooler.dense.bias"]), 1)
    return Encoder(
        word_embeddings=_f32(state["embeddings.word_embeddings.weight"]),
        position_embeddings=_f32(state["embeddings.position_embeddings.weight"]),
        token_type_embeddings=_f32(state["embeddings.token_type_embeddings.weight"]),
        embedding_norm=LayerNorm(_f32(state["embeddings.LayerNorm.weight"]), _f32(state["embeddings.LayerNorm.bias"])),
        layers=layers, num_heads=config["num_attention_heads"], activation=config.get("hidden_act", "gelu"),
        layer_norm_eps=config.get("layer_norm_eps", 1e-12), pooler=pooler)


def random_encoder(*, vocab=30522, hidden=768, layers=12, heads=12, intermediate=3072, max_positions=512,
                   groups=(1, 1, 1, 1, 1, 1), seed=0, std=0.02) -> Encoder:
    """Randomly initialised encoder (BERT initialisation: normal(0, 0.02), LayerNorm 1/0).

    groups = (q, k, v, post_attention, intermediate, output); all 1 gives BERT.
    """
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

    def lin(cout, cin, g):
        return Linear(normal(cout, cin // g), np.zeros(cout, np.float32), g)

    def ln(n):
        return LayerNorm(np.ones(n, np.float32), np.zeros(n, np.float32))

    qg, kg, vg, pg, ig, og = groups
    return Encoder(
        word_embeddings=normal(vocab, hidden), position_embeddings=normal(max_positions, hidden),
        token_type_embeddings=normal(2, hidden), embedding_norm=ln(hidden),
        layers=[Layer(lin(hidden, hidden, qg), lin(hidden, hidden, kg), lin(hidden, hidden, vg), lin(hidden, hidden, pg),
                      ln(hidden), lin(intermediate, hidden, ig), lin(hidden, intermediate, og), ln(hidden))
                for _ in range(layers)],
        num_heads=heads)


# ------------------------------------------------------------------------------------------------
# Graph construction
# ------------------------------------------------------------------------------------------------

class _Builder:
    def __init__(self):
        self.nodes, self.inits, self.names = [], [], set()

    def name(self, base):
        n, i = base, 0
        while n in self.names:
            i += 1
            n = f"{base}_{i}"
        self.names.add(n)
        return n

    def const(self, base, value, dtype=None):
        arr = np.asarray(value, dtype=dtype)
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def op(self, op_type, inputs, base=None, outputs=1, **attrs):
        base = base or op_type
        outs = [self.name(f"{base}_out{i}" if outputs > 1 else f"{base}_out") for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.name(base), **attrs))
        return outs if outputs > 1 else outs[0]


def build_model(enc: Encoder, outputs=("embedding",), conv: bool = False, name: str = "encoder",
                metadata: dict | None = None) -> onnx.ModelProto:
    """The ONNX model of `enc` with the requested outputs (see the module docstring)."""
    b = _Builder()
    hidden = enc.hidden_size
    heads = enc.num_heads
    head_dim = hidden // heads
    assert head_dim * heads == hidden

    ids, mask, types = INPUTS
    # Embeddings
    word = b.op("Gather", [b.const("word_embeddings", enc.word_embeddings), ids], "word_embeddings_gather")
    seq_len = b.op("Gather", [b.op("Shape", [ids], "ids_shape"), b.const("one_i", [1], np.int64)], "seq_len")
    pos_table = b.op("Slice", [b.const("position_embeddings", enc.position_embeddings),
                               b.const("zero_i", [0], np.int64), seq_len, b.const("axis0", [0], np.int64)],
                     "position_slice")
    tt = b.op("Gather", [b.const("token_type_embeddings", enc.token_type_embeddings), types], "token_type_gather")
    x = b.op("Add", [b.op("Add", [word, pos_table], "emb_add_pos"), tt], "emb_add_type")
    x = _layer_norm(b, x, enc.embedding_norm, enc.layer_norm_eps, "embeddings_ln")

    # Additive attention mask [batch, 1, 1, seq]: 0 for real tokens, float32 min for padding
    mask_f = b.op("Cast", [mask], "mask_float", to=TensorProto.FLOAT)
    mask_add = b.op("Mul", [b.op("Sub", [b.const("one_f", np.float32(1)), mask_f], "mask_inv"),
                            b.const("float_min", np.float32(FLOAT_MIN))], "mask_additive")
    mask_add = b.op("Unsqueeze", [mask_add, b.const("axes12", [1, 2], np.int64)], "mask_4d")

    shape_bshd = b.const("shape_bshd", [0, 0, heads, head_dim], np.int64)
    shape_bsc = b.const("shape_bsc", [0, 0, hidden], np.int64)
    scale = b.const("attn_scale", np.float32(math.sqrt(head_dim)))
    for i, layer in enumerate(enc.layers):
        p = f"layer{i}"
        q = _linear(b, x, layer.query, f"{p}_query", conv)
        k = _linear(b, x, layer.key, f"{p}_key", conv)
        v = _linear(b, x, layer.value, f"{p}_value", conv)
        q = b.op("Transpose", [b.op("Reshape", [q, shape_bshd], f"{p}_q_split")], f"{p}_q_t", perm=[0, 2, 1, 3])
        k = b.op("Transpose", [b.op("Reshape", [k, shape_bshd], f"{p}_k_split")], f"{p}_k_t", perm=[0, 2, 3, 1])
        v = b.op("Transpose", [b.op("Reshape", [v, shape_bshd], f"{p}_v_split")], f"{p}_v_t", perm=[0, 2, 1, 3])
        scores = b.op("Div", [b.op("MatMul", [q, k], f"{p}_qk"), scale], f"{p}_scores")
        probs = b.op("Softmax", [b.op("Add", [scores, mask_add], f"{p}_masked")], f"{p}_softmax", axis=-1)
        ctx = b.op("MatMul", [probs, v], f"{p}_ctx")
        ctx = b.op("Reshape", [b.op("Transpose", [ctx], f"{p}_ctx_t", perm=[0, 2, 1, 3]), shape_bsc], f"{p}_ctx_merge")
        attn = _linear(b, ctx, layer.attention_output, f"{p}_attn_out", conv)
        x = _layer_norm(b, b.op("Add", [attn, x], f"{p}_attn_residual"), layer.attention_norm, enc.layer_norm_eps,
                        f"{p}_attn_ln")
        h = _activation(b, _linear(b, x, layer.intermediate, f"{p}_intermediate", conv), enc.activation, p)
        h = _linear(b, h, layer.output, f"{p}_output", conv)
        x = _layer_norm(b, b.op("Add", [h, x], f"{p}_out_residual"), layer.output_norm, enc.layer_norm_eps,
                        f"{p}_out_ln")

    graph_outputs = []
    for out in outputs:
        if out == "last_hidden_state":
            b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))
            graph_outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", "sequence", hidden]))
        elif out == "embedding":
            m3 = b.op("Unsqueeze", [mask_f, b.const("axis2", [2], np.int64)], "mask_3d")
            summed = b.op("ReduceSum", [b.op("Mul", [x, m3], "pool_masked"), b.const("axis1", [1], np.int64)],
                          "pool_sum", keepdims=0)
            count = b.op("ReduceSum", [m3, b.const("axis1b", [1], np.int64)], "pool_count", keepdims=0)
            count = b.op("Max", [count, b.const("count_eps", np.float32(1e-9))], "pool_count_clamped")
            mean = b.op("Div", [summed, count], "pool_mean")
            norm = b.op("Sqrt", [b.op("ReduceSum", [b.op("Mul", [mean, mean], "sq"), b.const("axis_last", [-1], np.int64)],
                                      "sq_sum", keepdims=1)], "l2")
            norm = b.op("Max", [norm, b.const("norm_eps", np.float32(1e-12))], "l2_clamped")
            b.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"], name="embedding"))
            graph_outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", hidden]))
        elif out.endswith("_logits"):
            head = enc.heads[out[:-len("_logits")]]
            if enc.pooler is None:
                raise ValueError("a classification head needs the pooler weights")
            cls = b.op("Gather", [x, b.const("zero_s", np.int64(0))], "cls_token", axis=1)
            pooled = b.op("Tanh", [_linear(b, cls, enc.pooler, "pooler", False)], "pooler_tanh")
            logits = _linear(b, pooled, head, out + "_linear", False)
            b.nodes.append(helper.make_node("Identity", [logits], [out], name=out))
            graph_outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", head.weight.shape[0]]))
        else:
            raise ValueError(f"unknown output {out!r}")

    graph = helper.make_graph(
        b.nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in INPUTS],
        graph_outputs, initializer=b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                              producer_name="squeezedesk-onnx-encoder")
    for key, value in (metadata or {}).items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, str(value)
    return model


def _layer_norm(b, x, ln: LayerNorm, eps, base):
    return b.op("LayerNormalization", [x, b.const(base + "_weight", ln.weight), b.const(base + "_bias", ln.bias)],
                base, axis=-1, epsilon=float(eps))


def _activation(b, x, act, base):
    if act == "gelu":  # exact: x * 0.5 * (1 + erf(x / sqrt(2)))
        e = b.op("Erf", [b.op("Div", [x, b.const(base + "_sqrt2", np.float32(math.sqrt(2.0)))], base + "_gelu_div")],
                 base + "_gelu_erf")
        e = b.op("Add", [e, b.const(base + "_gelu_one", np.float32(1.0))], base + "_gelu_add")
        return b.op("Mul", [b.op("Mul", [x, e], base + "_gelu_mul"), b.const(base + "_gelu_half", np.float32(0.5))],
                    base + "_gelu")
    if act in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = b.op("Mul", [b.op("Mul", [x, x], base + "_x2"), x], base + "_x3")
        inner = b.op("Add", [x, b.op("Mul", [x3, b.const(base + "_c", np.float32(0.044715))], base + "_cx3")], base + "_in")
        t = b.op("Tanh", [b.op("Mul", [inner, b.const(base + "_k", np.float32(math.sqrt(2 / math.pi)))], base + "_kin")],
                 base + "_tanh")
        t = b.op("Add", [t, b.const(base + "_one", np.float32(1.0))], base + "_t1")
        return b.op("Mul", [b.op("Mul", [x, t], base + "_xt"), b.const(base + "_half", np.float32(0.5))], base + "_gelu")
    if act == "relu":
        return b.op("Relu", [x], base + "_relu")
    raise ValueError(f"unsupported activation {act!r}")


def _linear(b, x, lin: Linear, base, conv: bool):
    """x [..., in] -> [..., out]."""
    out_f, in_per_group = lin.weight.shape
    g = lin.groups
    if conv:
        # [N, W, C] -> [N, C, W] -> grouped 1x1 Conv -> [N, W, C]
        xt = b.op("Transpose", [x], base + "_to_ncw", perm=[0, 2, 1])
        y = b.op("Conv", [xt, b.const(base + "_weight", lin.weight[:, :, None]), b.const(base + "_bias", lin.bias)],
                 base + "_conv", group=g, kernel_shape=[1])
        return b.op("Transpose", [y], base + "_to_nwc", perm=[0, 2, 1])
    if g == 1:
        y = b.op("MatMul", [x, b.const(base + "_weight", np.ascontiguousarray(lin.weight.T))], base + "_matmul")
    else:
        o = out_f // g
        parts = b.op("Split", [x, b.const(base + "_split_sizes", [in_per_group] * g, np.int64)], base + "_split",
                     outputs=g, axis=-1)
        ys = [b.op("MatMul", [parts[j], b.const(f"{base}_weight_g{j}", np.ascontiguousarray(lin.weight[j * o:(j + 1) * o].T))],
                   f"{base}_matmul_g{j}") for j in range(g)]
        y = b.op("Concat", ys, base + "_concat", axis=-1)
    return b.op("Add", [y, b.const(base + "_bias", lin.bias)], base + "_add_bias")


# ------------------------------------------------------------------------------------------------
# numpy reference (float64), used by tests that have no PyTorch
# ------------------------------------------------------------------------------------------------

def reference_forward(enc: Encoder, input_ids: np.ndarray, attention_mask: np.ndarray,
                      token_type_ids: np.ndarray | None = None) -> dict:
    """Float64 numpy forward pass: {"last_hidden_state", "embedding", "<head>_logits"}."""
    from math import erf
    ids = np.asarray(input_ids)
    n, w = ids.shape
    tt = np.zeros_like(ids) if token_type_ids is None else np.asarray(token_type_ids)
    f = lambda a: np.asarray(a, np.float64)  # noqa: E731

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + enc.layer_norm_eps) * f(p.weight) + f(p.bias)

    def lin(x, p: Linear):
        o, i = p.weight.shape[0] // p.groups, p.weight.shape[1]
        ys = [x[..., j * i:(j + 1) * i] @ f(p.weight[j * o:(j + 1) * o]).T for j in range(p.groups)]
        return np.concatenate(ys, -1) + f(p.bias)

    verf = np.vectorize(erf)

    def act(x):
        if enc.activation == "gelu":
            return 0.5 * x * (1 + verf(x / math.sqrt(2)))
        if enc.activation == "relu":
            return np.maximum(x, 0)
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    x = f(enc.word_embeddings)[ids] + f(enc.position_embeddings)[:w][None] + f(enc.token_type_embeddings)[tt]
    x = ln(x, enc.embedding_norm)
    m = np.asarray(attention_mask, np.float64)
    add = ((1 - m) * -1e30)[:, None, None, :]
    h, d = enc.num_heads, enc.hidden_size // enc.num_heads
    for layer in enc.layers:
        q = lin(x, layer.query).reshape(n, w, h, d).transpose(0, 2, 1, 3)
        k = lin(x, layer.key).reshape(n, w, h, d).transpose(0, 2, 3, 1)
        v = lin(x, layer.value).reshape(n, w, h, d).transpose(0, 2, 1, 3)
        s = q @ k / math.sqrt(d) + add
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(n, w, h * d)
        x = ln(lin(ctx, layer.attention_output) + x, layer.attention_norm)
        x = ln(lin(act(lin(x, layer.intermediate)), layer.output) + x, layer.output_norm)
    pooled = (x * m[:, :, None]).sum(1) / np.maximum(m.sum(1, keepdims=True), 1e-9)
    out = {"last_hidden_state": x,
           "embedding": pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)}
    if enc.heads:
        cls = np.tanh(lin(x[:, 0], enc.pooler))
        for name, head in enc.heads.items():
            out[name + "_logits"] = lin(cls, head)
    return out


# ------------------------------------------------------------------------------------------------
# int8
# ------------------------------------------------------------------------------------------------

INT8_SETTINGS = {
    "method": "onnxruntime.quantization.quantize_dynamic",
    "op_types": ["MatMul", "Gather"],
    "weight_type": "QInt8",
    "per_channel": True,
    "reduce_range": True,
    "why": "7-bit weights: u8 x s8 products summed in pairs fit int16, so the AVX2 kernel (no VNNI) does "
           "not saturate; with full 8-bit weights int8 embeddings on AVX2-only CPUs drift far from float32",
}


def quantize_int8(src: str, dst: str) -> None:
    """Dynamic int8 quantisation of a graph written with `conv=False` (MatMul form).

    Weights int8 per output channel with reduced range (see INT8_SETTINGS["why"]), activations
    uint8 quantised on the fly; the word-embedding Gather is quantised too (file size).
    """
    import logging
    from onnxruntime.quantization import QuantType, quantize_dynamic
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic suggests an optional pre-processing step
    try:
        quantize_dynamic(src, dst, op_types_to_quantize=INT8_SETTINGS["op_types"], per_channel=True,
                         reduce_range=True, weight_type=QuantType.QInt8)
    finally:
        logging.getLogger().setLevel(level)
