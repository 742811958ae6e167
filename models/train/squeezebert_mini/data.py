"""The training bundle's data: pre-tokenised text sets, padding and length-bucketed batching.

`data.npz` in the bundle holds, for every text set NAME:
    NAME.ids     uint16  word-piece ids of all texts, concatenated, WITHOUT [CLS]/[SEP]
                         (at most MAX_LEN - 2 ids per text; the tokenizer is bert-base-uncased)
    NAME.lens    uint8   number of ids of each text
    NAME.labels  int16 / float32 (optional) one label or score per text
A batch adds [CLS] ... [SEP] and pads with [PAD] to the longest text, rounded up to a multiple of 8.

Text sets (see prepare_bundle.py for sources and label meanings):
    wiki                      Wikipedia sentences (distillation only)
    sentiment_train           labels 0 negative / 1 neutral / 2 positive; `.source` says where from
    intent_train              CLINC150 labels (index into labels.json "intent"); `.split` 0 train / 1 half of val
    clinc_calib               the other half of CLINC150 val (+ oos_val), never trained on (calibration)
    stsb_test_a, stsb_test_b  STS-B test sentence pairs, `.labels` = gold score 0..5 (on _a)
    sst2_dev, sst2_test       labels 0 negative / 1 positive
    tweet_heldout             TweetEval sentiment, the held-out half of the test split (0/1/2)
    clinc_test                CLINC150 test, in-scope and out-of-scope (label of `oos` = last)
    banking77_train, banking77_test   labels 0..76 (labels.json "banking77")
    stackfaq_queries          paraphrased queries, label = thread index
    stackfaq_questions        original question titles, one per thread (label = thread index)
    stackfaq_answers          answers, label = thread index
    support_heldout           held-out support-message sentiment (0/1/2), `.standalone` marks stand-alone complaints/praise
    support_probe             hand-written support messages (0/1/2), support_probe.tsv
"""

import json
import os

import numpy as np

PAD_ID, CLS_ID, SEP_ID = 0, 101, 102
MAX_LEN = 128  # tokens per text including [CLS] and [SEP]

DATA_FILE = "data.npz"
LABELS_FILE = "labels.json"
MANIFEST_FILE = "manifest.json"


class TextSet:
    """Pre-tokenised texts with optional per-text arrays (labels, source, split...)."""

    def __init__(self, ids: np.ndarray, lens: np.ndarray, **fields: np.ndarray):
        self.ids = np.asarray(ids)
        self.lens = np.asarray(lens).astype(np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lens)[:-1]]).astype(np.int64)
        self.fields = {k: np.asarray(v) for k, v in fields.items()}
        for k, v in self.fields.items():
            assert len(v) == len(self.lens), f"field {k} has {len(v)} rows for {len(self.lens)} texts"

    def __len__(self) -> int:
        return len(self.lens)

    @property
    def labels(self) -> np.ndarray:
        return self.fields["labels"]

    def subset(self, index) -> "TextSet":
        index = np.asarray(index, dtype=np.int64)
        lens = self.lens[index]
        within = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        ids = self.ids[np.repeat(self.offsets[index], lens) + within]
        return TextSet(ids, lens, **{k: v[index] for k, v in self.fields.items()})

    @staticmethod
    def concat(sets: list["TextSet"], fields=()) -> "TextSet":
        return TextSet(np.concatenate([s.ids for s in sets]), np.concatenate([s.lens for s in sets]),
                       **{f: np.concatenate([s.fields[f] for s in sets]) for f in fields})

    def batch(self, index, multiple_of: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask), int64 [len(index), L]: [CLS] ids [SEP] [PAD]..."""
        index = np.asarray(index, dtype=np.int64)
        lens = np.minimum(self.lens[index], MAX_LEN - 2)
        width = int(lens.max()) + 2 if len(index) else 2
        width = min(MAX_LEN, -(-width // multiple_of) * multiple_of)
        cols = np.arange(width - 2)
        inside = cols[None, :] < lens[:, None]
        pos = np.where(inside, self.offsets[index, None] + cols[None, :], 0)
        input_ids = np.zeros((len(index), width), dtype=np.int64)
        input_ids[:, 0] = CLS_ID
        input_ids[:, 1:width - 1] = np.where(inside, self.ids[pos], PAD_ID)
        input_ids[np.arange(len(index)), lens + 1] = SEP_ID
        attention_mask = (np.arange(width)[None, :] < (lens + 2)[:, None]).astype(np.int64)
        return input_ids, attention_mask

    def sorted_batches(self, max_tokens: int = 16384, max_batch: int = 512):
        """Batches for inference in order of length (little padding). Yields (index, ids, mask)."""
        order = np.argsort(self.lens, kind="stable")
        start = 0
        while start < len(order):
            stop = start + 1
            while stop < len(order) and stop - start < max_batch and (stop - start + 1) * (self.lens[order[stop]] + 2) <= max_tokens:
                stop += 1
            index = order[start:stop]
            yield (index, *self.batch(index))
            start = stop


def bucketed_batches(lens: np.ndarray, batch_size: int, rng: np.random.Generator, chunk_batches: int = 64):
    """Endless stream of index batches of similar length (for training).

    Each epoch: shuffle, cut into chunks of `chunk_batches` batches, sort each chunk by length,
    split it into batches and shuffle the order of all batches. Texts that do not fill a whole
    batch at the end of a chunk wait for the next epoch.
    """
    n = len(lens)
    if n < batch_size:
        raise ValueError(f"text set of {n} texts is smaller than the batch size {batch_size}")
    chunk = batch_size * chunk_batches
    while True:
        perm = rng.permutation(n)
        batches = []
        for start in range(0, n, chunk):
            part = perm[start:start + chunk]
            part = part[np.argsort(lens[part], kind="stable")]
            batches += [part[i:i + batch_size] for i in range(0, len(part) - batch_size + 1, batch_size)]
        for b in rng.permutation(len(batches)):
            yield batches[b]


class Bundle:
    """Everything train.py reads from the bundle folder, except the teacher (see model.py)."""

    def __init__(self, bundle_dir: str):
        self.dir = bundle_dir
        with open(os.path.join(bundle_dir, LABELS_FILE), encoding="utf-8") as f:
            self.label_names = json.load(f)
        with open(os.path.join(bundle_dir, MANIFEST_FILE), encoding="utf-8") as f:
            self.manifest = json.load(f)
        arrays = {}
        with np.load(os.path.join(bundle_dir, DATA_FILE)) as z:
            for key in z.files:
                arrays[key] = z[key]
        names = sorted({k.split(".", 1)[0] for k in arrays})
        self.sets: dict[str, TextSet] = {}
        for name in names:
            extra = {k.split(".", 1)[1]: v for k, v in arrays.items()
                     if k.startswith(name + ".") and k.split(".", 1)[1] not in ("ids", "lens")}
            self.sets[name] = TextSet(arrays[name + ".ids"], arrays[name + ".lens"], **extra)

    def __getitem__(self, name: str) -> TextSet:
        return self.sets[name]
