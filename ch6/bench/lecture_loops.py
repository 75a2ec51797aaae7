"""The lecture's reference loops (Python, one line or one row at a time), kept in one place for the benchmark."""
from pathlib import Path

import numpy as np


def lecture_generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6, rng=None):
    """The lecture's batch generator, row by row in Python (the reference being timed and tested against).

    ``rng`` (a NumPy Generator) replaces ``np.random`` so a test can draw the same rows as ch6's generator."""
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while True:
        if shuffle:
            draw = rng.integers if rng is not None else np.random.randint
            rows = draw(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


def glove_lecture_loop(path: Path) -> dict:
    """The lecture's reference loop, kept for the benchmark: word -> float32 vector, one line at a time."""
    embeddings_index = {}
    with open(path, encoding="UTF-8") as f:
        for line in f:
            values = line.split()
            word = values[0]
            coefs = np.asarray(values[1:], dtype="float32")
            embeddings_index[word] = coefs
    return embeddings_index


def jena_lecture_loop(path: Path) -> tuple:
    """The lecture's reference loop, kept for the benchmark: (header, float64 array (rows, 14))."""
    with open(path) as f:
        data = f.read()
    lines = data.split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    float_data = np.zeros((len(lines), len(header) - 1))
    for i, line in enumerate(lines):
        values = [float(x) for x in line.split(",")[1:]]
        float_data[i, :] = values
    return header, float_data
