"""Synthetic IMDB reviews in the aclImdb layout and the Keras ``imdb.npz`` format (``data/README.md``)."""
import bisect
import io
import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np

from ..files import write_atomic
from . import SEED
from .review_words import (FILM, INTENSIFIERS, NEGATED_INTENSIFIERS, RELATIVES, SOURCES, TIMES, WHEN, plural,
                           vocabulary, zipf_pool)

REVIEWS = {"small": 5_000, "full": 25_000}     # reviews per split (train, test) for each size
UNSUP_REVIEWS = 10        # a handful of unlabelled reviews in train/unsup, rating 0, as in the real set
LABEL_NOISE = 0.04        # share of reviews whose folder (label) contradicts their text
SYNONYM_RATE = {"test": 1.0, "train": 0.01}   # chance that an adjective is swapped for its GloVe synonym
TYPO_RATE = 0.04          # chance that a sentence has one typo (two letters swapped, a token GloVe lacks)


def savez_bytes(**arrays) -> bytes:
    """The bytes ``np.savez`` writes, with a fixed zip timestamp so that they never change."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=True)
    return buffer.getvalue()

# Neutral sentences: plot summary and context. Slots are filled from the pools in ``vocabulary()``.
PLOT = [
    "The story follows a {role} who {tverb} a {thing} in a {place} {time}.",
    "A {role} {pverb} a {role} from the {place}.",
    "The {role} {tverb} the {thing} and {pverb} the {role}.",
    "{name} plays a {role} who lives in a {place} with a {role}.",
    "When the {role} {tverb} a {thing}, the {role} {pverb} a {role}.",
    "Most of the {film} takes place in a {place} {time}.",
    "Later the {role} goes back to the {place} to look for the {thing}.",
    "There is a subplot about a {role}, a {thing} and a few {things}.",
    "The {role} and the {role} travel to a {place} {time}.",
    "Meanwhile a {role} {tverb} the {things} in the {place}.",
    "It is set in a {place} {time}.",
    "The {role} keeps a {thing} that once belonged to a {role}.",
    "Nobody in the {place} knows about the {things} or the {thing}.",
    "{name} is the {role}, and {name} is the {role} who {pverb} the {role}.",
    "{hero} is a {role} who {tverb} a {thing} in the {place}.",
    "The {role} {hero} {pverb} a {role} {time}.",
    "Then a {role} arrives with a {thing} and news about the {things}.",
    "Everything changes when the {role} {tverb} a {thing} in the {place}.",
]
CONTEXT = [
    "I saw this {film} {when} with my {relative}.",
    "It was released in {year} and runs about {minutes} minutes.",
    "It stars {name} and {name}.",
    "The {film} is based on a {source} by {name}.",
    "I had not seen any other {films} by this director.",
    "It was directed by {name}.",
    "I knew nothing about it before I watched it.",
    "My {relative} picked it from a shelf of {genre} titles.",
    "It is a {genre} with a bit of {genre} in it.",
    "I read the {source} years ago.",
    "The {film} was shot on location near a {place}.",
]
# Sentiment sentences for the polarity ``e`` they express: {adj} has polarity e, {opp} the other one.
PLAIN = [
    "The {aspect} was {int} {adj}.",
    "The {aspect} is {adj} and the {aspect} is {adj}.",
    "What a {adj} {film}!",
    "I found the {aspect} {int} {adj}.",
    "It is one of the most {adj} {films} I have seen.",
    "The {aspect} and the {aspect} are {int} {adj}.",
    "{name} gives a {adj} performance as the {role}.",
    "The {film} is a {noun}.",
    "The {aspect} left me {feel}.",
    "I was {int} {feel} by the {aspect}.",
    "The {aspect} felt {adj} from start to finish.",
    "Every scene with the {role} is {adj}.",
    "Such a {adj} {genre}.",
]
NEGATED = [
    "The {aspect} was not {nint} {opp}.",
    "It is not a {opp} {film}.",
    "I would not call the {aspect} {opp}.",
    "The {aspect} is never {opp}.",
    "Nothing about the {aspect} felt {opp}.",
    "I did not find the {aspect} {opp} at all.",
    "I was not {feel_opp} by the {aspect}.",
    "The {film} is not a {noun_opp}.",
]
CONTRAST = [
    "The {aspect} was {opp}, but in the end the {film} was {int} {adj}.",
    "Although the {aspect} is {opp}, the {aspect} is {adj}.",
    "The {aspect} seemed {opp} at first, but overall it was {adj}.",
    "Some people say it is {opp}, but I thought it was {adj}.",
    "The {aspect} is {opp} enough, yet the {aspect} is {int} {adj}.",
    "It starts out {opp}, but the rest is {adj}.",
    "The {aspect} may be {opp}, but the {aspect} is {adj}.",
    "I expected a {opp} {film}, but it was {adj}.",
]
# Verdicts name the opinion with a sentiment word (a closed set of stock phrases such as "Avoid it." or a
# rating in digits would let a model trained on 200 reviews learn the label without any word meaning).
VERDICT = {
    1: ["Overall, a {adj} {film}.", "A {noun}, {int} {adj}.", "All in all, {int} {adj}.",
        "In the end the {film} is {int} {adj}."],
    -1: ["Overall, a {adj} {film}.", "A {noun}, {int} {adj}.", "All in all, {int} {adj}.",
         "In the end the {film} is {int} {adj}."],
}
# Opening verdicts: the opinion stated at the start (so the start, the middle and the end all carry it).
OPENER = {
    1: ["What a {adj} {film}.", "This is a {int} {adj} {genre}.", "A {noun} of a {film}.",
        "A {adj} {film} from start to finish."],
    -1: ["What a {adj} {film}.", "This is a {int} {adj} {genre}.", "A {noun} of a {film}.",
         "A {adj} {film} from start to finish."],
}
SENTENCES = 19.0          # median sentences per review (log-normal, sigma 0.65, 2 to 120)
OPENER_RATE = 0.5         # chance that the first sentence is an opening verdict
OPENING = (0.2,)          # otherwise: chance that the 1st sentence is neutral plot summary
NEUTRAL = (0.45, 0.2)     # later sentences: neutral with chance 0.45 - 0.2 * strength of the rating
AGREE = (0.75, 0.2)       # a plain or negated sentence agrees with the review: chance 0.75 + 0.2 * strength
KIND_SHARES = (14, 3, 3)  # sentiment sentences: plain : negated : contrast
VERDICT_RATE = 0.5        # chance that the last sentence is a verdict
PARAGRAPH_BREAK = 0.2     # chance of "<br /><br />" between two sentences
THING_EXPONENT = 0.8      # Zipf exponent of the neutral nouns: lower gives a larger vocabulary
RARE_RATE = 0.01          # chance that a neutral noun is a rare one (GloVe rank 50,000 to 150,000)
RATINGS = {0: ([1, 2, 3, 4], [0.4, 0.2, 0.2, 0.2]), 1: ([10, 9, 8, 7], [0.4, 0.2, 0.2, 0.2])}
POOL_SLOTS = {"role": "roles", "place": "places", "aspect": "aspects", "tverb": "thing_verbs",
              "pverb": "person_verbs", "genre": "genres"}
POOL_SLOTS["hero"] = "characters"
SIGNED_SLOTS = {"feel": ("feelings", 1), "feel_opp": ("feelings", -1), "noun": ("verdict_nouns", 1),
                "noun_opp": ("verdict_nouns", -1), "verb": ("verbs_past", 1)}
FIXED_SLOTS = {"time": TIMES, "film": FILM, "int": INTENSIFIERS, "nint": NEGATED_INTENSIFIERS, "when": WHEN,
               "relative": RELATIVES, "source": SOURCES}
SENTIMENT_KINDS = ("plain",) * KIND_SHARES[0] + ("negated",) * KIND_SHARES[1] + ("contrast",) * KIND_SHARES[2]
AN = re.compile(r"\b([Aa]) (?=[aeio]|u(?!ni|s[aeu]))")   # "a actor" -> "an actor"


def template_parts(templates: list) -> list:
    """Split each template into alternating literal text and slot names."""
    return [re.split(r"\{(\w+)\}", t) for t in templates]


def uniforms(rng: np.random.Generator, block: int = 8192):
    """An endless stream of uniform floats in [0, 1) drawn from ``rng`` in blocks."""
    while True:
        yield from rng.random(block).tolist()


class Writer:
    """Draws the words of one split's reviews from the vocabulary pools with one random stream."""

    def __init__(self, rng: np.random.Generator, test: bool):
        vocab = vocabulary()
        self.draw = uniforms(rng).__next__
        self.split = "test" if test else "train"
        self.vocab = vocab
        self.adjectives = {s: zipf_pool(vocab["adjectives"][s]) for s in (1, -1)}
        self.things = zipf_pool(vocab["things"], THING_EXPONENT)
        self.last = None
        self.parts = {name: template_parts(t) for name, t in
                      [("plot", PLOT), ("context", CONTEXT), ("plain", PLAIN), ("negated", NEGATED),
                       ("contrast", CONTRAST), ("verdict+", VERDICT[1]), ("verdict-", VERDICT[-1]),
                       ("opener+", OPENER[1]), ("opener-", OPENER[-1])]}

    def pick(self, seq):
        """A uniformly chosen element of ``seq``."""
        return seq[int(self.draw() * len(seq))]

    def weighted(self, pool: tuple) -> str:
        """A word from a (words, cumulative weights) pool."""
        words, cumulative = pool
        return words[min(bisect.bisect(cumulative, self.draw()), len(words) - 1)]

    def adjective(self, sign: int) -> str:
        """A sentiment adjective; sometimes one of its GloVe synonyms (often in the test split, rarely in training)."""
        word = self.weighted(self.adjectives[sign])
        synonyms = self.vocab["synonyms"].get(word)
        if synonyms and self.draw() < SYNONYM_RATE[self.split]:
            word = self.pick(synonyms)
        return word

    def slot(self, name: str, e: int, rating: int) -> str:
        """The text for one template slot, for a sentence expressing polarity ``e``."""
        v = self.vocab
        if name == "adj":
            return self.adjective(e)
        if name == "opp":
            return self.adjective(-e)
        if name in ("thing", "things"):
            rare = self.draw() < RARE_RATE
            word = self.pick(v["rare_things"]) if rare else self.weighted(self.things)
            return word if name == "thing" else plural(word)
        if name in POOL_SLOTS:
            return self.pick(v[POOL_SLOTS[name]])
        if name in SIGNED_SLOTS:
            key, sign = SIGNED_SLOTS[name]
            return self.pick(v[key][sign * e])
        if name in FIXED_SLOTS:
            return self.pick(FIXED_SLOTS[name])
        if name == "name":
            return f"{self.pick(v['first_names']).title()} {self.pick(v['surnames']).title()}"
        if name == "films":
            return self.pick(FILM) + "s"
        if name == "year":
            return str(1930 + int(self.draw() * 80))
        if name == "minutes":
            return str(80 + int(self.draw() * 100))
        if name == "rating":
            return str(rating)
        raise KeyError(name)

    def sentence(self, kind: str, e: int, rating: int) -> str:
        """One sentence of the given kind expressing polarity ``e`` (ignored by neutral sentences).

        The template differs from the previous sentence's, so that no template repeats back to back.
        """
        templates = self.parts[kind]
        i = int(self.draw() * len(templates))
        if templates[i] is self.last:
            i = (i + 1) % len(templates)
        parts = self.last = templates[i]
        text = "".join(self.slot(p, e, rating) if k % 2 else p for k, p in enumerate(parts))
        text = AN.sub(r"\1n ", " ".join(text.split()))
        if self.draw() < TYPO_RATE:
            text = self.typo(text)
        return text[0].upper() + text[1:]

    def typo(self, text: str) -> str:
        """``text`` with two inner letters of one longer word swapped, where GloVe lacks the result."""
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha() and w.islower()]
        if not candidates:
            return text
        i = self.pick(candidates)
        word = words[i]
        j = 1 + int(self.draw() * (len(word) - 3))
        wrong = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        if wrong != word and wrong not in self.vocab["glove"]:
            words[i] = wrong
        return " ".join(words)

    def review(self, sign: int, rating: int) -> str:
        """A whole review by a writer of polarity ``sign`` (+1/-1) who rated the film ``rating``."""
        strength = abs(rating - 5.5) / 4.5 if rating else 0.5            # 0.33 for ratings 4 and 7 .. 1
        n = min(max(round(SENTENCES * math.exp(0.65 * normal(self.draw(), self.draw()))), 2), 120)
        agree = AGREE[0] + AGREE[1] * strength
        sentences = []
        for i in range(n):
            opening = OPENING[i] if i < len(OPENING) else 0.0
            if i == 0 and n >= 3 and self.draw() < OPENER_RATE:
                kind = "opener+" if sign > 0 else "opener-"
            elif i == n - 1 and n >= 3 and self.draw() < VERDICT_RATE:
                kind = "verdict+" if sign > 0 else "verdict-"
            elif self.draw() < max(opening, NEUTRAL[0] - NEUTRAL[1] * strength):
                kind = "plot" if i < len(OPENING) or self.draw() < 0.7 else "context"
            else:
                kind = SENTIMENT_KINDS[int(self.draw() * len(SENTIMENT_KINDS))]
            e = sign if kind in ("contrast", "verdict+", "verdict-", "opener+", "opener-") or self.draw() < agree else -sign
            sentences.append(self.sentence(kind, e, rating))
            if i < n - 1:
                sentences.append("<br /><br />" if self.draw() < PARAGRAPH_BREAK else " ")
        return "".join(sentences)


def normal(u1: float, u2: float) -> float:
    """A standard normal value from two uniforms (Box-Muller)."""
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def tokenize(text: str) -> list:
    """Keras IMDB-style tokens: lowercase, punctuation stripped (``<br />`` leaves the token ``br``)."""
    return re.findall(r"[a-z0-9]+", text.lower())


def make_reviews(n: int, split: str, seed: int = SEED) -> dict:
    """``n`` reviews (balanced) of one split: texts, labels (0/1, a few flipped), ratings, flipped flags."""
    rng = np.random.default_rng([seed, {"train": 1, "test": 2, "unsup": 3}[split]])
    truth = rng.permutation(np.repeat([0, 1], [n - n // 2, n // 2]))
    flipped = np.zeros(n, dtype=bool)
    if split != "unsup":
        flips = round(n * LABEL_NOISE / 2)
        for cls in (0, 1):
            flipped[rng.choice(np.flatnonzero(truth == cls), flips, replace=False)] = True
    writer = Writer(rng, test=split == "test")
    cumulative = {y: np.cumsum(probs).tolist() for y, (values, probs) in RATINGS.items()}
    texts, ratings = [], []
    for y in truth.tolist():
        rating = RATINGS[y][0][bisect.bisect(cumulative[y], writer.draw())]
        texts.append(writer.review(1 if y else -1, rating))
        ratings.append(rating)
    labels = truth ^ flipped
    file_ratings = np.where(flipped, 11 - np.array(ratings), ratings)
    if split == "unsup":
        file_ratings[:] = 0
    return {"texts": texts, "labels": labels.astype(np.int64), "ratings": file_ratings.tolist(),
            "flipped": flipped}


def word_index(train_tokens: list, test_tokens: list) -> dict:
    """Keras-style word index: 1 = most frequent training word, ties alphabetical, test-only words last."""
    train_counts, test_counts = {}, {}
    for tokens, counts in ((train_tokens, train_counts), (test_tokens, test_counts)):
        for review in tokens:
            for word in review:
                counts[word] = counts.get(word, 0) + 1
    ranked = sorted(train_counts, key=lambda w: (-train_counts[w], w))
    ranked += sorted((w for w in test_counts if w not in train_counts), key=lambda w: (-test_counts[w], w))
    return {word: i for i, word in enumerate(ranked, start=1)}


def object_array(sequences: list) -> np.ndarray:
    """A 1-D object array holding one Python list per review, as in Keras's imdb.npz."""
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = sequence
    return array


def review_files(split: str, reviews: dict) -> dict:
    """aclImdb file names (``<split>/<pos|neg|unsup>/<id>_<rating>.txt``) -> text, ids counted per folder."""
    files, counters = {}, {}
    for text, label, rating in zip(reviews["texts"], reviews["labels"].tolist(), reviews["ratings"]):
        folder = "unsup" if split == "unsup" else ("pos" if label else "neg")
        index = counters[folder] = counters.get(folder, -1) + 1
        files[f"{'train' if split == 'unsup' else split}/{folder}/{index}_{rating}.txt"] = text
    return files


def write_tree(root: Path, files: dict) -> dict:
    """Write ``files`` (name -> text) under ``root``, drop stale reviews; return name -> (bytes, sha256)."""
    written = {}
    for name, text in files.items():
        data = text.encode("utf-8")
        written[name] = (len(data), write_atomic(root / name, data))
    for folder in {str(Path(name).parent) for name in files}:
        for path in (root / folder).glob("*_*.txt"):
            if path.relative_to(root).as_posix() not in files:
                path.unlink()
    return written


def make_imdb(out: Path, size: str = "small", seed: int = SEED) -> dict:
    """Write the synthetic ``aclImdb/`` tree, ``imdb.npz`` and ``imdb_word_index.json``; return the listing.

    The listing maps each written path (relative to ``out``) to (bytes, sha256); its ``"counts"`` entry
    summarises the data set for the manifest.
    """
    out = Path(out)
    n = REVIEWS[size]
    splits = {"train": make_reviews(n, "train", seed), "test": make_reviews(n, "test", seed),
              "unsup": make_reviews(UNSUP_REVIEWS, "unsup", seed)}
    tokens = {split: [tokenize(text) for text in splits[split]["texts"]] for split in ("train", "test")}
    index = word_index(tokens["train"], tokens["test"])
    arrays = {}
    for split in ("train", "test"):
        arrays[f"x_{split}"] = object_array([[index[w] for w in review] for review in tokens[split]])
        arrays[f"y_{split}"] = splits[split]["labels"]
    written = {}
    for split, reviews in splits.items():
        tree = write_tree(out / "aclImdb", review_files(split, reviews))
        written.update({f"aclImdb/{name}": info for name, info in tree.items()})
    for name, data in (("imdb.npz", savez_bytes(**arrays)),
                       ("imdb_word_index.json", json.dumps(index).encode("utf-8"))):
        written[name] = (len(data), write_atomic(out / name, data))
    lengths = [len(review) for review in tokens["train"] + tokens["test"]]
    train_words = {w for review in tokens["train"] for w in review}
    counts = {
        "reviews": {split: {"neg": int((splits[split]["labels"] == 0).sum()),
                            "pos": int((splits[split]["labels"] == 1).sum())} for split in ("train", "test")},
        "unsup": UNSUP_REVIEWS,
        "label_noise": LABEL_NOISE,
        "flipped_labels": {split: int(splits[split]["flipped"].sum()) for split in ("train", "test")},
        "words": len(index),
        "test_only_words": len(index) - len(train_words),
        "review_words": {"min": min(lengths), "median": float(np.median(lengths)), "max": max(lengths)},
    }
    return {"files": written, "counts": counts}
