"""Measure a synthetic IMDB sample: the figures of the "Measured" table in ``data/README.md``.

``python -m ch6.data.review_stats [--seed N | --folder DIR]`` reads ``imdb.npz``, the word index and
``MANIFEST.json`` of a sample folder and prints the table as Markdown.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .. import paths
from .review_words import vocabulary

EDGE = 20          # words at each end of a review counted as its start and its end
CUTS = {"first": lambda r: r[:EDGE], "last": lambda r: r[-EDGE:], "whole": lambda r: r}   # the parts of a review


def read_sample(folder: Path) -> dict:
    """Token lists and labels of both splits, from ``imdb.npz`` and ``imdb_word_index.json``."""
    words = {i: w for w, i in json.loads((folder / "imdb_word_index.json").read_text("utf-8")).items()}
    with np.load(folder / "imdb.npz", allow_pickle=True) as f:          # the project's own file
        return {split: ([[words[i] for i in x] for x in f[f"x_{split}"]], f[f"y_{split}"])
                for split in ("train", "test")}


def vader_label(tokens: list, valence: dict) -> int:
    """1 when the summed signs of the sentiment adjectives are positive, else 0 (ties count as negative)."""
    return int(sum(np.sign(valence[w]) for w in tokens if w in valence) > 0)


def measure(folder: Path) -> dict:
    """Every figure of the table for the sample in ``folder``."""
    manifest = json.loads((folder / "MANIFEST.json").read_text("utf-8"))
    counts = manifest["counts"]["imdb"]
    vocab = vocabulary()
    reviews = read_sample(folder)
    train_words = {w for review in reviews["train"][0] for w in review}
    synonyms = set(vocab["test_only"])
    valence = vocab["valence"]
    test_tokens, test_labels = reviews["test"]
    adjectives_test = [w for review in test_tokens for w in review if w in valence]
    used = {s: sorted(w for w in vocab["adjectives"][s] if w in train_words) for s in (1, -1)}
    cover = {name: float(np.mean([any(w in valence for w in cut(r)) for r in test_tokens]))
             for name, cut in CUTS.items()}
    vader = {name: float(np.mean([vader_label(cut(r), valence) == y for r, y in zip(test_tokens, test_labels)]))
             for name, cut in CUTS.items()}
    return {
        "seed": manifest["seed"],
        "reviews": {s: sum(counts["reviews"][s].values()) for s in ("train", "test")},
        "flipped": counts["flipped_labels"],
        "review_words": counts["review_words"],
        "words": counts["words"],
        "test_only_words": counts["test_only_words"],
        "adjectives": {s: len(used[s]) for s in (1, -1)},
        "synonyms": len(synonyms),
        "synonyms_in": {split: sum(w in synonyms for review in reviews[split][0] for w in review)
                        for split in ("train", "test")},
        "synonyms_in_training_vocabulary": len(synonyms & train_words),
        "missing_from_glove": len(train_words - vocab["glove"]),
        "cover": cover,
        "synonym_share": sum(w in synonyms for w in adjectives_test) / len(adjectives_test),
        "vader": vader,
    }


def table(m: dict) -> str:
    """The figures as the Markdown table and sentences of ``data/README.md``."""
    r, c, v = m["review_words"], m["cover"], m["vader"]
    rows = [
        ("reviews train / test (balanced)", f"{m['reviews']['train']:,} / {m['reviews']['test']:,}"),
        ("flipped labels train / test", f"{m['flipped']['train']:,} / {m['flipped']['test']:,}"),
        ("words per review min / median / max", f"{r['min']} / {r['median']:g} / {r['max']:,}"),
        ("distinct words (word index)", f"{m['words']:,}"),
        ("of which only in the test split", f"{m['test_only_words']:,}"),
        ("training adjectives positive / negative, their synonyms",
         f"{m['adjectives'][1]} / {m['adjectives'][-1]}, {m['synonyms']}"),
        ("synonyms at test: occurrences in test / train; in the training vocabulary",
         f"{m['synonyms_in']['test']:,} / {m['synonyms_in']['train']:,}; "
         f"{m['synonyms_in_training_vocabulary']} of {m['synonyms']}"),
        ("training-split tokens GloVe lacks (typos, 40 invented names)", f"{m['missing_from_glove']:,}"),
    ]
    lines = ["| | small |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    lines += ["", f"On the small test split: a sentiment adjective occurs in the first {EDGE} words of "
              f"{c['first']:.0%} of the reviews, in the last {EDGE} words of {c['last']:.0%}, in the whole review "
              f"of {c['whole']:.0%}; {m['synonym_share']:.0%} of the sentiment adjectives in the test split are "
              f"synonyms. Counting VADER signs of the adjectives (no model, no word order, ties counted as negative) "
              f"labels {v['first']:.0%} of the test reviews right from the first {EDGE} words, {v['last']:.0%} from "
              f"the last {EDGE} and {v['whole']:.0%} from the whole review."]
    return "\n".join(lines).replace("%", " %")


def main(argv=None) -> int:
    """Command line: print the table for one sample folder."""
    parser = argparse.ArgumentParser(prog="python -m ch6.data.review_stats", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, help="the sample of this seed (default: data/sample)")
    parser.add_argument("--folder", type=Path, help="a sample folder (overrides --seed)")
    args = parser.parse_args(argv)
    folder = args.folder or paths.sample_folder("small", args.seed)
    if not (folder / "MANIFEST.json").is_file():
        print(f"error: {folder} holds no sample data (make sample)", file=sys.stderr)
        return 1
    print(table(measure(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
