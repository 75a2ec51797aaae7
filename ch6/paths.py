"""Where things live: the repository, the data root and the named data sets."""
import json
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
PARAMS = REPO / "params"
BUILD = REPO / "build"

#: Named data sets under the data root: the real downloads and the synthetic sizes (``sample-seed<N>`` and
#: ``sample-full-seed<N>`` are other seeds of the same generators).
NAMED = {"real": "real", "sample": "sample", "sample-full": "sample-full"}
SEEDED = re.compile(r"sample(-full)?-seed\d+")


class DataNotFound(FileNotFoundError):
    """A data file or folder is missing; the message says which command makes it."""


def data_root() -> Path:
    """The data root: ``$DATA_DIR`` if set, else ``data/`` in the repository."""
    return Path(os.environ.get("DATA_DIR") or REPO / "data").expanduser().resolve()


def is_named(data: str) -> bool:
    """Whether ``data`` names a data set under the data root (rather than a folder path)."""
    return data in NAMED or bool(SEEDED.fullmatch(data))


def dataset_folder(data: str) -> Path:
    """Where a data set lives: a name ("real", "sample", "sample-full", "sample-seed<N>") under the data root,
    anything else as a folder path. The one place the layout is decided (Makefile, downloader, generator, loaders)."""
    return data_root() / data if is_named(data) else Path(data).expanduser().resolve()


def sample_name(size: str = "small", seed: int | None = None) -> str:
    """The data set ``make sample [SIZE=full] [SEED=N]`` makes: sample, sample-full, sample[-full]-seed<N>."""
    from .data import SEED

    name = "sample" if size == "small" else "sample-full"
    return name if seed in (None, SEED) else f"{name}-seed{seed}"


def sample_folder(size: str = "small", seed: int | None = None) -> Path:
    """Where ``make sample [SIZE=full] [SEED=N]`` writes (see ``sample_name``)."""
    return dataset_folder(sample_name(size, seed))


def resolve_data(data: str) -> Path:
    """Turn a notebook's ``data`` parameter ("sample", "sample-full", "real" or a folder) into a folder."""
    folder = dataset_folder(data)
    if not folder.is_dir():
        raise DataNotFound(f"data folder {folder} does not exist: {make_hint(data)}")
    return folder


def make_hint(data: str) -> str:
    """The command that creates the named data set."""
    if data == "real":
        return "run `make data` (downloads the real datasets)"
    if data == "sample-full":
        return "run `make sample SIZE=full`"
    if SEEDED.fullmatch(data):
        size = " SIZE=full" if data.startswith("sample-full-") else ""
        return f"run `make sample{size} SEED={data.rsplit('seed', 1)[-1]}`"
    return "run `make sample` (or `python -m ch6.data.sample`)"


def require(folder: Path, name: str) -> Path:
    """Return ``folder/name`` or raise DataNotFound naming the command that makes it."""
    path = Path(folder) / name
    if not path.exists():
        kind = "sample" if (Path(folder) / "MANIFEST.json").exists() else "real"
        raise DataNotFound(f"{path} is missing: {make_hint(kind)}")
    return path


def shown(folder: Path) -> str:
    """A folder as it is best shown in stored outputs: relative to the repository when inside it."""
    folder = Path(folder).resolve()
    return str(folder.relative_to(REPO)) if folder.is_relative_to(REPO) else str(folder)


def describe(folder: Path) -> str:
    """One line saying which data a folder holds (real downloads or synthetic sample, and its size)."""
    manifest = Path(folder) / "MANIFEST.json"
    if manifest.exists():
        info = json.loads(manifest.read_text(encoding="utf-8"))
        return (f"synthetic sample data (ch6.sample, size={info.get('size')}, seed={info.get('seed')}) "
                f"in {shown(folder)}; GloVe vectors are the real glove.6B.50d")
    test = os.environ.get("CH6_TEST_REGISTRY")          # registry.TEST_REGISTRY_ENV: the test mirror's digests
    return f"real datasets (make data) in {shown(folder)}" + (f"; verified against the test registry {test}"
                                                              if test else "")
