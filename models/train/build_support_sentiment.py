#!/usr/bin/env python3
"""Build a labelled support-message sentiment set (negative / neutral / positive).

Why: the first SqueezeBERT-mini learnt its neutral class mostly from CLINC150 requests, so it calls
plainly negative support messages ("you charged me twice this month and nobody answers my emails")
neutral: it learnt that *requests* are neutral. This set teaches the sentiment head that a request
can carry any sentiment, through data rather than keyword rules in the app.

How the examples are made
    Source utterances: real user requests from intent datasets, TRAIN splits for training and
    TEST splits for the held-out set (never the other way round):
        CLINC150 (data_full, in-scope), Banking77, HWU64, SNIPS.
    Each utterance is rewritten with a sentiment framing (a complaint, a neutral wrapper or praise /
    thanks around it), or kept as it is; there are also stand-alone complaints and praise built from
    short problem / outcome phrases. Templates and phrase lists are SPLIT: the held-out set uses only
    framings and phrases that never occur in training, so its score measures generalisation to new
    wording as well as to new requests.
    Weak labels come from a lexicon: the Hu & Liu opinion lexicon (NLTK `opinion_lexicon`,
    CC BY 4.0) plus a short list of support-specific complaint/praise phrases (SUPPORT_LEXICON
    below), with simple negation handling. A framing proposes a label; the example is kept only if
    the lexicon score of the whole rewritten text agrees (negative < 0, positive > 0, neutral: no opinion
    word at all).
    So a neutral example contains no opinion word at all, and a plain request that already
    contains one ("my card was stolen") is not used as neutral.

Outputs (with --out): train.jsonl, heldout.jsonl ({"text", "label", "source", "template"}),
handcheck_sample.tsv (a stratified random sample for checking by hand), stats.json.
prepare_bundle.py imports build() directly, so the files are only needed for inspection.

Usage:
    python build_support_sentiment.py --data /path/to/shared/data --out /tmp/support_sentiment
"""

import argparse
import csv
import gzip
import json
import os
import random
import re
import zipfile
from collections import Counter

LABELS = ["negative", "neutral", "positive"]
NEG, NEU, POS = 0, 1, 2
SEED = 20261128

# Phrases of support conversations that the general-purpose opinion lexicon lacks (multi-word
# phrases are matched on the lower-cased text; single words are added to the word lists).
SUPPORT_LEXICON = {
    "negative": [
        "nobody answers", "nobody replies", "nobody responds", "nobody has replied", "nobody has answered",
        "no one answers", "no one replies", "no one responds", "no one has replied", "no one has answered",
        "no one got back", "nobody got back", "no reply", "no response", "no answer from", "not a single reply",
        "fed up", "sick of", "had enough", "still waiting", "still have not", "still haven't", "still hasn't",
        "still no", "for the third time", "for the fourth time", "third time", "fourth time", "yet again",
        "over and over", "waste of time", "wasted my time", "wasting my time", "rip off", "ripoff",
        "ignored", "ignoring", "unacceptable", "absurd", "outrageous", "shocking", "appalling",
        "charged me twice", "double charged", "charged twice", "overcharged", "not ok", "not okay",
        "losing patience", "lost patience", "run around", "runaround", "close my account",
        "cancel my account", "switching banks", "never again", "zero help", "no help",
        "sort it out now", "what a mess", "charged extra", "extra charge", "extra fee", "still pending",
        "still not", "hasn't arrived", "has not arrived", "didn't get", "did not get", "not received",
        "haven't received", "have not received", "never received", "never arrived", "never got",
        "why was i charged", "why have i been charged", "why am i being charged", "why is there a fee", "mess", "useless", "pathetic", "incompetent", "joke",
        "furious", "livid", "fuming", "pissed", "angry", "upset", "annoyed", "frustrated", "frustrating",
        "disappointed", "disappointing", "terrible", "awful", "horrible", "worst", "ridiculous",
    ],
    "positive": [
        "thank you", "thanks", "thx", "many thanks", "much appreciated", "appreciate", "appreciated",
        "well done", "good job", "great job", "nice work", "top notch", "spot on", "sorted it",
        "you rock", "you guys rock", "lifesaver", "life saver", "made my day", "so helpful", "very helpful",
        "super helpful", "really helpful", "quick reply", "quick response", "fast response",
        "keep it up", "love", "loving", "great", "excellent", "amazing", "awesome", "fantastic", "brilliant",
        "perfect", "happy", "glad", "pleased", "delighted", "smooth", "smoothly", "impressed", "wonderful",
    ],
}
REQUEST_WORDS = {"like", "kindly", "right", "well", "work", "works", "fine", "free", "top", "enough", "premium",
                 "pretty", "clear", "gold", "patient"}
NEGATORS = {"not", "no", "never", "n't", "dont", "don't", "didnt", "didn't", "isnt", "isn't", "wasnt", "wasn't",
            "cannot", "can't", "cant", "without", "hardly"}


class Lexicon:
    """Sentiment score of a text: +1 per positive, -1 per negative word or phrase; a word right after
    a negator (within 2 words) counts with the opposite sign; phrases are counted once and their words
    are not counted again."""

    def __init__(self, lexicon_zip: str):
        with zipfile.ZipFile(lexicon_zip) as z:
            def words(name):
                raw = z.read(f"opinion_lexicon/{name}").decode("latin-1").splitlines()
                return {w.strip() for w in raw if w.strip() and not w.startswith(";")}
            self.pos, self.neg = words("positive-words.txt"), words("negative-words.txt")
        self.phrases = []
        for sign, items in ((-1, SUPPORT_LEXICON["negative"]), (1, SUPPORT_LEXICON["positive"])):
            for item in items:
                if " " in item:
                    self.phrases.append((item, sign))
                else:
                    (self.neg if sign < 0 else self.pos).add(item)
        self.phrases.sort(key=lambda p: -len(p[0]))
        # Request words that the general lexicon lists as opinion words ("i'd like to...", "kindly").
        self.pos -= REQUEST_WORDS
        self.neg -= REQUEST_WORDS
        # Note: words such as "lost", "stolen", "failed", "declined" stay negative on purpose: a plain
        # request containing them is not used as a NEUTRAL example (it is ambiguous), see module doc.

    def score(self, text: str) -> int:
        return self.score_hits(text)[0]

    def score_hits(self, text: str) -> tuple[int, int]:
        """(score, number of opinion words/phrases found)."""
        t = " " + re.sub(r"[^a-z0-9' ]+", " ", text.lower()) + " "
        total = hits = 0
        for phrase, sign in self.phrases:
            needle = f" {phrase} "
            while needle in t:
                total += sign
                hits += 1
                t = t.replace(needle, " | ", 1)
        tokens = t.split()
        for i, w in enumerate(tokens):
            sign = 1 if w in self.pos else -1 if w in self.neg else 0
            if w.endswith("n't") and w not in self.neg:
                continue
            if sign and any(tokens[j] in NEGATORS or tokens[j].endswith("n't") for j in range(max(0, i - 2), i)):
                sign = -sign
            total += sign
            hits += sign != 0
        return total, hits


# --------------------------------------------------------------------------------------------
# Framings. {u} is the source utterance as it was written (lower-cased, end punctuation removed).
# TRAIN and HELDOUT lists share no template and no phrase.
# --------------------------------------------------------------------------------------------

TEMPLATES = {
    "train": {
        NEG: [
            "{u}. this is unacceptable", "{u}?? this is ridiculous", "i am so frustrated. {u}",
            "{u}. i have asked three times already and nobody answers", "seriously, {u}. worst service ever",
            "{u}. i'm fed up with this app", "why is this so hard? {u}", "{u}. still waiting for an answer, terrible",
            "this is the third time i'm asking: {u}", "{u}. your support is useless", "{u}!!! i'm furious",
            "ugh. {u}. nothing works in this app", "{u}. i'm really disappointed with you", "{u}. what a joke",
            "{u} - nobody replies to my emails", "honestly i'm sick of this. {u}", "{u}. absolutely awful experience",
            "i've been ignored for days. {u}", "{u}. this keeps happening and it's a mess",
            "{u}. i am losing patience", "not happy at all. {u}", "{u}. you wasted my time again",
            "{u}, and i'm really annoyed that nobody helps", "{u}. if this isn't fixed today i will close my account",
        ],
        NEU: [
            "{u}", "{u}?", "hi, {u}", "hello, {u}", "quick question: {u}", "{u}, please", "hey there. {u}",
            "can you tell me: {u}", "{u}. my account number is in my profile", "morning. {u}",
            "one more question. {u}", "{u}. i am asking for my husband", "{u}. i'm using the android app",
        ],
        POS: [
            "thanks so much for the help yesterday! {u}", "{u}. you guys are awesome", "{u}. love this app",
            "great service as always. {u}", "{u}. thank you, really appreciate it", "you've been so helpful! {u}",
            "{u}. by the way, your team is excellent", "{u} - thanks a lot, amazing support",
            "happy customer here :) {u}", "{u}. the new update is fantastic", "{u}. many thanks in advance, great app",
            "really impressed with the app so far. {u}", "{u}. you made my day yesterday, thank you",
            "{u}. keep up the great work", "loving the new design! {u}", "{u}. thanks, brilliant job",
        ],
    },
    "heldout": {
        NEG: [
            "{u}. this is outrageous", "{u}. i've had enough of this", "{u}. third email and still no reply",
            "i can't believe this. {u}. pathetic", "{u}. nobody responds, what is wrong with you",
            "{u}. horrible support, honestly", "{u}. i'm angry and upset", "{u}. it failed again, appalling",
            "again?! {u}. you are incompetent", "{u}. i'm done, switching banks", "{u}. zero help from anyone",
            "so disappointing. {u}",
        ],
        NEU: [
            "{u}.", "hi team, {u}", "question: {u}", "{u}. regards, sam", "excuse me, {u}", "{u} (asking for a friend)",
        ],
        POS: [
            "{u}. cheers, you're brilliant", "{u}. wonderful service, much appreciated",
            "just wanted to say you're great. {u}", "{u}. so pleased with the app", "{u}. thx, you rock",
            "{u}. delighted with how smooth this was", "{u}. perfect, well done", "glad i switched to you! {u}",
            "{u}. super helpful as always", "{u}. nice work on the last update",
        ],
    },
}

# Stand-alone complaints and praise: "{problem}{tail}" / "{outcome}{tail}".
STANDALONE = {
    "train": {
        "problems": [
            "you charged me twice for the same order", "my card payment was declined at the shop",
            "the app crashed while i was paying", "my refund still hasn't arrived",
            "i was locked out of my account", "the transfer took five days", "my card never arrived",
            "you blocked my card without telling me", "the app logged me out in the middle of a payment",
            "i got charged a fee nobody told me about", "my top up disappeared", "the exchange rate you gave me was wrong",
            "my verification keeps getting rejected", "the chat bot keeps sending me in circles",
            "i was on hold for an hour", "the money left my account but never reached my friend",
        ],
        NEG: [
            ". this is unacceptable", " and nobody answers my messages", ". i am so angry", ", terrible service",
            " and i'm really frustrated", ". worst bank ever", " and support keeps ignoring me", ". i'm fed up",
            ". ridiculous", ", what a mess", " and it's the third time this month", ". useless",
        ],
        "outcomes": [
            "the transfer arrived in seconds", "my new card came a day early", "the app update fixed my problem",
            "support sorted out my refund", "setting up the account took two minutes", "the payment went through",
            "your agent called me back within the hour", "the dispute was resolved", "my limit was raised straight away",
            "the new savings feature works", "i got my money back", "the card arrived",
        ],
        POS: [
            ", thank you so much", ". great job", ". you guys are awesome", ", really appreciate it", ". love it",
            ". excellent service", ", brilliant", ". very helpful team", ". happy customer", ", fantastic",
        ],
    },
    "heldout": {
        "problems": [
            "my salary payment bounced", "the atm ate my card", "you froze my account for no reason",
            "my pin reset link expired before i could use it", "the app shows a balance that is not mine",
            "i paid a late fee because your site was down", "my standing order went out twice",
            "customer service hung up on me",
        ],
        NEG: [
            ". outrageous", " and i'm livid", ". pathetic", " and zero help from anyone", ". appalling",
            ". i've had enough", " and still no reply after a week", ". disappointing",
        ],
        "outcomes": [
            "my replacement card was delivered overnight", "the chargeback went through smoothly",
            "you reversed the fee without any fuss", "the login issue is gone after the update",
            "my loan was approved in a day", "the agent explained everything clearly",
        ],
        POS: [
            ". wonderful", ", much appreciated", ". cheers, you're brilliant", ". delighted", ". well done",
            ", you rock", ". perfect", ". impressed",
        ],
    },
}


# --------------------------------------------------------------------------------------------
# Source utterances
# --------------------------------------------------------------------------------------------

def read_sources(data: str, split: str) -> list[tuple[str, str]]:
    """(utterance, source) pairs of the split ("train" or "test") of the four intent datasets."""
    out = []
    with gzip.open(os.path.join(data, "clinc150", "data_full.json.gz"), "rt", encoding="utf-8") as f:
        clinc = json.load(f)
    out += [(t, "clinc150") for t, _ in clinc[split]]
    with open(os.path.join(data, "banking77", f"{split}.csv"), encoding="utf-8", newline="") as f:
        out += [(r["text"], "banking77") for r in csv.DictReader(f)]
    for name in ("hwu64", "snips"):
        with open(os.path.join(data, name, split, "seq.in"), encoding="utf-8") as f:
            out += [(line.strip(), name) for line in f if line.strip()]
    return out


def clean(u: str) -> str:
    u = re.sub(r"\s+", " ", u.strip())
    u = u.rstrip(" .?!")
    return u[:1].lower() + u[1:] if u[:2].lower() != "i " and not u[:2] == "I'" else u


def build(data: str, seed: int = SEED, per_class_train: int = 5000, per_class_heldout: int = 800,
          standalone_share: float = 0.2) -> dict:
    """Returns {"train": [...], "heldout": [...], "stats": {...}}; items are dicts text/label/source/template."""
    lex = Lexicon(os.path.join(data, "nltk-sentiment-corpora", "opinion_lexicon.zip"))
    rng = random.Random(seed)
    result, stats = {}, {}
    for part, split, per_class in (("train", "train", per_class_train), ("heldout", "test", per_class_heldout)):
        sources = read_sources(data, split)
        rng.shuffle(sources)
        base = [lex.score_hits(u) for u, _ in sources]
        base_scores = [s for s, _ in base]
        items, seen, dropped = [], set(), Counter()
        by_label = {c: [] for c in (NEG, NEU, POS)}
        pos_ok = [i for i, s in enumerate(base_scores) if s >= 0]  # no negative word in the request itself
        neu_ok = [i for i, (_, h) in enumerate(base) if h == 0]  # no opinion word at all
        cursor = {c: 0 for c in (NEG, NEU, POS)}
        pools = {NEG: list(range(len(sources))), NEU: neu_ok, POS: pos_ok}
        for label in (NEG, NEU, POS):
            # Stand-alone complaints / praise first (a limited number of distinct texts), then framed requests.
            if label != NEU:
                sa = STANDALONE[part]
                heads = sa["problems"] if label == NEG else sa["outcomes"]
                tails = sa[label]
                combos = [(h, t) for h in range(len(heads)) for t in range(len(tails))]
                rng.shuffle(combos)
                want = int(per_class * standalone_share)
                for k in range(3 * len(combos)):  # three surface forms of each combination
                    if len(by_label[label]) >= want:
                        break
                    h, t = combos[k % len(combos)]
                    form = k // len(combos)
                    text = heads[h] + tails[t]
                    if form == 1:
                        text = text[:1].upper() + text[1:] + ("!" if label == POS else "!!")
                    elif form == 2:
                        text = "hi, " + text
                    s = lex.score(text)
                    if not ((s < 0) if label == NEG else (s > 0)):
                        dropped[LABELS[label] + "_standalone"] += 1
                        continue
                    if text in seen:
                        continue
                    seen.add(text)
                    by_label[label].append({"text": text, "label": label, "source": "standalone",
                                            "template": f"{part}/{LABELS[label]}/standalone/{h}/{t}"})
            templates = TEMPLATES[part][label]
            attempts = 0
            while len(by_label[label]) < per_class and attempts < 50 * per_class:
                attempts += 1
                pool = pools[label]
                i = pool[cursor[label] % len(pool)]
                cursor[label] += 1
                u, src = sources[i]
                ti = rng.randrange(len(templates))
                text = templates[ti].format(u=clean(u))
                s, hits = lex.score_hits(text)
                ok = (s < 0) if label == NEG else (s > 0) if label == POS else (hits == 0)
                if not ok:
                    dropped[LABELS[label]] += 1
                    continue
                if text in seen:
                    continue
                seen.add(text)
                by_label[label].append({"text": text, "label": label, "source": src, "template": f"{part}/{LABELS[label]}/{ti}"})
        for label in by_label:
            items += by_label[label]
        rng.shuffle(items)
        result[part] = items
        stats[part] = {"per_label": {LABELS[c]: len(by_label[c]) for c in by_label},
                       "per_source": dict(Counter(x["source"] for x in items)),
                       "unique_texts": len({x["text"] for x in items}),
                       "dropped_by_lexicon_check": dict(dropped),
                       "source_split": split}
    # Guarantees: no source utterance and no template text crosses between the two parts.
    train_texts = {x["text"] for x in result["train"]}
    overlap = [x["text"] for x in result["heldout"] if x["text"] in train_texts]
    stats["heldout_texts_also_in_train"] = len(overlap)
    result["stats"] = stats
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="the shared data folder (see SOURCES.md)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sample", type=int, default=40, help="hand-check sample size per label")
    args = ap.parse_args()
    res = build(args.data)
    os.makedirs(args.out, exist_ok=True)
    for part in ("train", "heldout"):
        with open(os.path.join(args.out, f"{part}.jsonl"), "w", encoding="utf-8") as f:
            for x in res[part]:
                f.write(json.dumps(x) + "\n")
    with open(os.path.join(args.out, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(res["stats"], f, indent=1)
    rng = random.Random(7)
    sample = []
    for part in ("train", "heldout"):
        for label in (NEG, NEU, POS):
            pool = [x for x in res[part] if x["label"] == label]
            sample += [(part, x) for x in rng.sample(pool, min(args.sample // 2, len(pool)))]
    rng.shuffle(sample)
    with open(os.path.join(args.out, "handcheck_sample.tsv"), "w", encoding="utf-8") as f:
        f.write("id\tpart\tweak_label\ttext\n")
        for i, (part, x) in enumerate(sample):
            f.write(f"{i}\t{part}\t{LABELS[x['label']]}\t{x['text']}\n")
    print(json.dumps(res["stats"], indent=1))


if __name__ == "__main__":
    main()
