#!/usr/bin/env python3
"""Write the tiny SqueezeBERT checkpoint and its PyTorch reference outputs used by test_convert.py.

    python models/convert/make_tiny_fixture.py   # needs torch + transformers; run once, commit the output

Writes models/convert/testdata/tiny-squeezebert-mnli/ (a Hugging Face checkpoint folder: config.json,
model.safetensors, vocab.txt, tokenizer_config.json; ~0.2 MB) and
models/convert/testdata/tiny-squeezebert-mnli.reference.json (texts, their token ids from
transformers' BertTokenizer, and the PyTorch outputs: embedding = L2-normalised masked mean of
last_hidden_state, nli_logits = SqueezeBertForSequenceClassification logits), so that CI can check
the converter with onnxruntime alone.

The checkpoint mirrors the official ones in miniature: SqueezeBertForSequenceClassification
(`transformer.` prefix, CLS pooler, classifier), grouped convolutions q/k/v 4, post-attention 1,
intermediate 4, output 4, and an embedding matrix 6 rows larger than the vocabulary (as 30528 vs
30522). All weights, biases and LayerNorm parameters are random (non-trivial), so a mix-up of any
two tensors shows.
"""

import json
import os
import string

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import BertTokenizer, SqueezeBertConfig, SqueezeBertForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "testdata", "tiny-squeezebert-mnli")
REF = os.path.join(HERE, "testdata", "tiny-squeezebert-mnli.reference.json")

WORDS = ["the", "is", "my", "where", "refund", "order", "it", "was", "not", "good", "bad", "very", "thank",
         "you", "hello", "world", "what", "time", "##ed", "##ing", "##ly"]
TEXTS = [
    "Hello world",
    "Where is my refund?",
    "The order was not good, it was VERY bad!!!",
    "thanks, what time is it",
    "Crème brûlée 😍 東京",
    "zzz qqq xylophone 12345 " * 6,  # longer than max_length 32 -> truncated
]
MAX_LENGTH = 32


def randomise(model: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial values everywhere: LayerNorm weights around 1, biases and other weights random."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "layernorm" in name.lower() and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * noise)
            elif name.endswith("bias"):
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.1 * noise)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    vocab = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(string.ascii_lowercase) + list(string.digits)
             + list(string.punctuation) + ["##" + c for c in string.ascii_lowercase + string.digits] + WORDS)
    with open(os.path.join(OUT, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(OUT, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"do_lower_case": True, "model_max_length": 512}, f, indent=1)

    config = SqueezeBertConfig(
        vocab_size=len(vocab) + 6, hidden_size=32, embedding_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, q_groups=4, k_groups=4, v_groups=4,
        post_attention_groups=1, intermediate_groups=4, output_groups=4, num_labels=3,
        id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
        label2id={"entailment": 0, "neutral": 1, "contradiction": 2})
    model = SqueezeBertForSequenceClassification(config).eval()
    randomise(model)
    config.save_pretrained(OUT)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, "model.safetensors"),
              metadata={"format": "pt"})

    tok = BertTokenizer.from_pretrained(OUT)  # transformers' own WordPiece, independent of the converter
    assert len(set(vocab)) == len(vocab)
    encs = [tok(t, truncation=True, max_length=MAX_LENGTH)["input_ids"] for t in TEXTS]

    def run(ids, mask):
        with torch.no_grad():
            out = model.transformer(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                                    token_type_ids=torch.zeros(len(ids), len(ids[0]), dtype=torch.long))
            logits = model.classifier(out.pooler_output)
            m = torch.tensor(mask, dtype=torch.float32)[:, :, None]
            pooled = (out.last_hidden_state * m).sum(1) / m.sum(1)
            emb = torch.nn.functional.normalize(pooled, dim=-1)
        return emb.numpy(), logits.numpy()

    ref = {"max_length": MAX_LENGTH, "torch": torch.__version__, "texts": []}
    for text, ids in zip(TEXTS, encs):
        emb, logits = run([ids], [[1] * len(ids)])
        ref["texts"].append({"text": text, "input_ids": ids, "embedding": emb[0].tolist(), "nli_logits": logits[0].tolist()})
    # one padded batch of all texts (padding must not change the results)
    width = max(len(e) for e in encs)
    ids = [e + [0] * (width - len(e)) for e in encs]
    mask = [[1] * len(e) + [0] * (width - len(e)) for e in encs]
    emb, logits = run(ids, mask)
    ref["padded_batch"] = {"embedding": emb.tolist(), "nli_logits": logits.tolist()}
    with open(REF, "w", encoding="utf-8") as f:
        json.dump(ref, f, indent=1, ensure_ascii=False)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {OUT} ({size} bytes) and {REF} ({os.path.getsize(REF)} bytes); "
          f"{sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
