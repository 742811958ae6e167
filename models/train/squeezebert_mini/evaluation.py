"""Evaluation suite, shared by train.py (PyTorch) and export_onnx.py (ONNX Runtime).

A model is evaluated through an `encode(text_set)` function returning a dict with
    "embedding"  float32 [N, 384], L2-normalised sentence embeddings
    "sentiment"  float32 [N, 3] logits (negative, neutral, positive), or None
    "intent"     float32 [N, num_intents] logits (CLINC150 order of labels.json), or None

Metrics (all in percent):
    stsb_spearman          STS-B test: Spearman correlation of cosine similarity with the gold score
    sst2_dev_acc           SST-2 dev, binary accuracy (positive iff logit[positive] > logit[negative])
    sst2_test_acc          the same on the SST-2 test sentences
    tweet_macro_f1         TweetEval sentiment, held-out half of the test split, 3-class macro-F1
    tweet_acc              the same, accuracy
    clinc_inscope_acc      CLINC150 test, in-scope queries: accuracy over all 151 outputs
                           (predicting `oos` for an in-scope query counts as an error)
    clinc_oos_recall       CLINC150 test, out-of-scope queries predicted as `oos`
    banking77_centroid_acc Banking77 test accuracy of a nearest-centroid classifier on embeddings
                           (centroid = mean embedding of the class's training utterances; cosine)
    stackfaq_mrr_question  StackFAQ: mean reciprocal rank of the right thread's question title
                           among all 125 titles, for each paraphrased query (cosine)
    stackfaq_mrr_answer    StackFAQ: mean reciprocal rank of the first answer of the right thread
                           among all 719 answers, for each paraphrased query (cosine)
    support_macro_f1       held-out support-message sentiment set (build_support_sentiment.py: TEST
                           utterances of CLINC150/Banking77/HWU64/SNIPS with held-out framings), 3-class macro-F1
    support_acc            the same, accuracy
    support_neg_recall     the same, recall of the negative class
    support_probe_acc      hand-written support messages (support_probe.tsv, 45), 3-class accuracy
(the support metrics only where the bundle has those sets)
Only numpy is needed here (the linear probe for the teacher uses torch).
"""

import numpy as np

from .data import TextSet

EVAL_SETS = ("stsb_test_a", "stsb_test_b", "sst2_dev", "sst2_test", "tweet_heldout", "clinc_test",
             "banking77_train", "banking77_test", "stackfaq_queries", "stackfaq_questions", "stackfaq_answers")
OPTIONAL_EVAL_SETS = ("support_heldout", "support_probe")


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------

def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties get the average of their ranks (as scipy.stats.rankdata)."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.bincount(inverse, weights=ranks) / counts)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def macro_f1(gold: np.ndarray, pred: np.ndarray, num_classes: int) -> float:
    scores = []
    for c in range(num_classes):
        tp = np.sum((pred == c) & (gold == c))
        fp = np.sum((pred == c) & (gold != c))
        fn = np.sum((pred != c) & (gold == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def mean_reciprocal_rank(scores: np.ndarray, relevant: np.ndarray) -> float:
    """scores [queries, candidates]; relevant [queries, candidates] bool. Rank of the best relevant."""
    best_relevant = np.where(relevant, scores, -np.inf).max(axis=1)
    rank = 1 + (scores > best_relevant[:, None]).sum(axis=1)
    return float(np.mean(1.0 / rank))


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

def evaluation_sets(sets: dict[str, TextSet], limit: int | None = None, seed: int = 0) -> dict[str, TextSet]:
    """The evaluation text sets, optionally cut to `limit` texts each (a fixed random subset;
    STS-B pairs are cut together; StackFAQ questions/answers are kept whole as the candidates)."""
    out = {name: sets[name] for name in EVAL_SETS}
    out.update({name: sets[name] for name in OPTIONAL_EVAL_SETS if name in sets})
    if limit is None:
        return out
    rng = np.random.default_rng(seed)

    def cut(n):
        return np.sort(rng.permutation(n)[:limit])

    pairs = cut(len(out["stsb_test_a"]))
    out["stsb_test_a"], out["stsb_test_b"] = out["stsb_test_a"].subset(pairs), out["stsb_test_b"].subset(pairs)
    for name in ("sst2_dev", "sst2_test", "tweet_heldout", "clinc_test", "banking77_train", "banking77_test",
                 "stackfaq_queries", "support_heldout"):
        if name in out:
            out[name] = out[name].subset(cut(len(out[name])))
    return out


def evaluate(encode, sets: dict[str, TextSet], intent_labels: list[str]) -> dict[str, float]:
    enc = {name: encode(ts) for name, ts in sets.items()}
    res: dict[str, float] = {}

    a, b = enc["stsb_test_a"]["embedding"], enc["stsb_test_b"]["embedding"]
    res["stsb_spearman"] = 100 * spearman((a * b).sum(axis=1), sets["stsb_test_a"].labels)

    if enc["sst2_dev"]["sentiment"] is not None:
        for name in ("sst2_dev", "sst2_test"):
            logits = enc[name]["sentiment"]
            positive = logits[:, 2] > logits[:, 0]
            res[f"{name}_acc"] = 100 * float(np.mean(positive == (sets[name].labels == 1)))
        pred = enc["tweet_heldout"]["sentiment"].argmax(axis=1)
        gold = sets["tweet_heldout"].labels
        res["tweet_macro_f1"] = 100 * macro_f1(gold, pred, 3)
        res["tweet_acc"] = 100 * float(np.mean(pred == gold))
        if "support_heldout" in enc:
            pred = enc["support_heldout"]["sentiment"].argmax(axis=1)
            gold = sets["support_heldout"].labels
            res["support_macro_f1"] = 100 * macro_f1(gold, pred, 3)
            res["support_acc"] = 100 * float(np.mean(pred == gold))
            res["support_neg_recall"] = 100 * float(np.mean(pred[gold == 0] == 0))
        if "support_probe" in enc:
            pred = enc["support_probe"]["sentiment"].argmax(axis=1)
            res["support_probe_acc"] = 100 * float(np.mean(pred == sets["support_probe"].labels))

    if enc["clinc_test"]["intent"] is not None:
        oos = intent_labels.index("oos")
        pred = enc["clinc_test"]["intent"].argmax(axis=1)
        gold = sets["clinc_test"].labels
        inscope = gold != oos
        res["clinc_inscope_acc"] = 100 * float(np.mean(pred[inscope] == gold[inscope]))
        res["clinc_oos_recall"] = 100 * float(np.mean(pred[~inscope] == oos))

    train_emb, train_y = enc["banking77_train"]["embedding"], sets["banking77_train"].labels.astype(np.int64)
    num_classes = int(max(train_y.max(), sets["banking77_test"].labels.max())) + 1
    centroids = np.zeros((num_classes, train_emb.shape[1]), dtype=np.float64)
    np.add.at(centroids, train_y, train_emb)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    pred = (enc["banking77_test"]["embedding"] @ centroids.T).argmax(axis=1)
    res["banking77_centroid_acc"] = 100 * float(np.mean(pred == sets["banking77_test"].labels))

    q = enc["stackfaq_queries"]["embedding"]
    thread = sets["stackfaq_queries"].labels.astype(np.int64)
    questions = enc["stackfaq_questions"]["embedding"]
    q_thread = sets["stackfaq_questions"].labels.astype(np.int64)
    res["stackfaq_mrr_question"] = 100 * mean_reciprocal_rank(q @ questions.T, thread[:, None] == q_thread[None, :])
    answers = enc["stackfaq_answers"]["embedding"]
    a_thread = sets["stackfaq_answers"].labels.astype(np.int64)
    res["stackfaq_mrr_answer"] = 100 * mean_reciprocal_rank(q @ answers.T, thread[:, None] == a_thread[None, :])
    return {k: round(v, 2) for k, v in res.items()}


# --------------------------------------------------------------------------------------------
# Linear probe (heads for the teacher, which has none)
# --------------------------------------------------------------------------------------------

def fit_linear_probe(features, labels, num_classes: int, l2: float = 1e-4, steps: int = 200, device="cpu"):
    """Multinomial logistic regression on frozen features (standardised), full-batch L-BFGS.

    Returns a function features -> logits (numpy in, numpy out).
    """
    import torch

    x = torch.as_tensor(np.asarray(features), dtype=torch.float32, device=device)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long, device=device)
    mean, std = x.mean(0), x.std(0).clamp(min=1e-6)
    x = (x - mean) / std
    weight = torch.zeros(x.shape[1], num_classes, device=device, requires_grad=True)
    bias = torch.zeros(num_classes, device=device, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=steps, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-6, tolerance_change=1e-9)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight + bias, y) + 0.5 * l2 * (weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    w, b, m, s = (t.detach().cpu().numpy() for t in (weight, bias, mean, std))
    return lambda feats: ((np.asarray(feats, dtype=np.float32) - m) / s) @ w + b
