"""The project's own sample data, written in the real formats: real GloVe 50d, synthetic IMDB and Jena.

``python -m ch6.data.sample [--size small|full] [--seed N] [--out DIR]`` writes ``glove.6B.50d.txt``,
``aclImdb/``, ``imdb.npz``, ``imdb_word_index.json``, ``jena_climate_2009_2016.csv`` and ``MANIFEST.json``.
The output is deterministic: the same bytes on every run. ``data/README.md`` explains the design.
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

from .. import paths
from ..files import write_atomic
from . import SEED
from .loaders import load_glove
from .sample_glove import GLOVE_BYTES, GLOVE_NAME, make_glove
from .sample_reviews import REVIEWS, make_imdb
from .sample_weather import JENA_NAME, SIZES as WEATHER, make_jena

SIZES = {size: {"reviews": REVIEWS[size], **WEATHER[size]} for size in REVIEWS}

def build(out: Path, size: str = "small", seed: int = SEED) -> tuple:
    """Write every sample file under ``out``, MANIFEST.json last; return (manifest, {path: (bytes, sha)})."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "MANIFEST.json").unlink(missing_ok=True)            # no manifest while the files are changing
    listing = {GLOVE_NAME: (GLOVE_BYTES, make_glove(out))}
    load_glove(out / GLOVE_NAME)                          # parse once: the notebooks load the cached arrays
    imdb, jena = make_imdb(out, size, seed), make_jena(out, size, seed)
    listing.update(imdb["files"])
    listing.update(jena["files"])
    manifest = {
        "kind": "synthetic", "size": size, "seed": seed, "generator": "ch6.sample",
        "files": {name: listing[name][1] for name in ("imdb.npz", "imdb_word_index.json", JENA_NAME,
                                                      GLOVE_NAME)},
        "counts": {"imdb": imdb["counts"], "jena": jena["counts"], "glove": {"tokens": 400_000, "dim": 50}},
    }
    data = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    listing["MANIFEST.json"] = (len(data), write_atomic(out / "MANIFEST.json", data))
    return manifest, listing


def make_all(out: Path, size: str = "small", seed: int = SEED) -> dict:
    """Write all sample data of ``size`` ("small" or "full") under ``out``; return the manifest."""
    return build(out, size, seed)[0]


def main(argv=None) -> int:
    """Command line: write the sample data and print every file's size and SHA-256."""
    parser = argparse.ArgumentParser(prog="python -m ch6.data.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small",
                        help="small: 5,000 + 5,000 reviews, 2 years of weather; full: the real sets' sizes")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"another, equally valid data set (default {SEED}, the one the notebooks ran on)")
    parser.add_argument("--out", type=Path, help="output folder (default: the data set's folder, see ch6.paths)")
    args = parser.parse_args(argv)
    out = args.out or paths.sample_folder(args.size, args.seed)
    manifest, listing = build(out, args.size, args.seed)
    reviews = sorted(name for name in listing if name.startswith("aclImdb/"))
    for name in sorted(set(listing) - set(reviews)):
        size, digest = listing[name]
        print(f"{digest}  {size:>11,}  {name}")
    tree = hashlib.sha256("".join(f"{listing[n][1]}  {n}\n" for n in reviews).encode()).hexdigest()
    print(f"{tree}  {sum(listing[n][0] for n in reviews):>11,}  aclImdb/ ({len(reviews):,} review files; "
          "SHA-256 of their sorted 'sha256  path' lines)")
    print(f"{len(listing)} files, {sum(s for s, _ in listing.values()):,} bytes in {out} "
          f"(size={manifest['size']}, seed={manifest['seed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
