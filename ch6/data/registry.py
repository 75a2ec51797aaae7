"""The real data sets: where each file comes from, its size and digest, and the errors of getting them.

Tests replace the sizes and digests (never the checks) with those of their own small archives through a
test registry, a JSON file named by ``$CH6_TEST_REGISTRY`` (see ``test_registry``).
"""
import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

@dataclass(frozen=True)
class Remote:
    """A file to download: URL, size in bytes, digest, and the archive members to extract."""

    url: str
    size: int
    digest: str | None  # SHA-256 hex, "md5:<hex>", or None: pinned on the first download (PINS.json)
    members: dict = field(default_factory=dict)  # member name -> SHA-256 hex (None: pinned)
    unpacked: int = 0  # bytes of the unpacked members, where published (the free-space check counts them)

    @property
    def name(self) -> str:
        """The file name (last part of the URL)."""
        return self.url.rsplit("/", 1)[1]


KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"
JENA_CSV = "jena_climate_2009_2016.csv"
JENA_TIME_FORMAT = "%d.%m.%Y %H:%M:%S"
ACLIMDB = Remote("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", 84_125_825,
                 "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe")
IMDB_NPZ = Remote(f"{KERAS_DATASETS}/imdb.npz", 17_464_789,
                  "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
IMDB_WORD_INDEX = Remote(f"{KERAS_DATASETS}/imdb_word_index.json", 1_641_221,
                         "md5:bfafd718b763782e994055a2d397834f")  # only an MD5 is published
GLOVE = Remote("https://nlp.stanford.edu/data/glove.6B.zip", 862_182_613,
               "617afb2fe6cbd085c235baf7a465b96f4112bd7f7ccb2b2cbd649fed9cbcf2fb",
               {"glove.6B.100d.txt": "95dde4dfd627ab26608d33e76d1195ec059734bd29089ea52cadb08d07c64544",
                "glove.6B.50d.txt": "d8f717f8dd4b545cb7f418ef9f3d0c3e6e68a6f48b97d32f8b7aae40cb31f96f"},
               unpacked=347_116_733 + 171_350_079)
JENA = Remote(f"{KERAS_DATASETS}/{JENA_CSV}.zip", 13_568_290, None, {JENA_CSV: None})
JENA_ROWS = 420_551
JENA_FEATURES = 14
PINS = "PINS.json"
MIRROR_ENV = "CH6_DATA_MIRROR"
OFFLINE_HINT = "no internet? the sample data works offline: `make sample`"
TEST_REGISTRY_ENV = "CH6_TEST_REGISTRY"
REMOTES = (ACLIMDB, IMDB_NPZ, IMDB_WORD_INDEX, GLOVE, JENA)
SHA256 = re.compile(r"[0-9a-f]{64}")


class DataError(RuntimeError):
    """A download, verification or unpacking step failed; the message is one line."""


class ChecksumError(DataError):
    """A file's digest differs from the expected one."""


def test_registry() -> dict:
    """The test registry named by ``$CH6_TEST_REGISTRY`` ({} when unset): file name -> {size, sha256, members}.

    It must give a size and a SHA-256 for every file and member (Jena's included), so it can only make the
    checks stricter; a missing or malformed entry is a DataError."""
    name = os.environ.get(TEST_REGISTRY_ENV)
    if not name:
        return {}
    try:
        files = json.loads(Path(name).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataError(f"test registry {name} (${TEST_REGISTRY_ENV}): unreadable ({err})") from None
    for remote in REMOTES:
        entry = files.get(remote.name) if isinstance(files, dict) else None
        digests = [entry.get("sha256")] + [entry.get("members", {}).get(m) for m in remote.members] if entry else []
        if (not entry or not isinstance(entry.get("size"), int) or entry["size"] <= 0
                or not all(isinstance(d, str) and SHA256.fullmatch(d) for d in digests)):
            raise DataError(f"test registry {name} (${TEST_REGISTRY_ENV}): {remote.name} needs a size and a SHA-256 "
                            f"for the file{' and each of ' + ', '.join(remote.members) if remote.members else ''}")
    return files


def resolved(remote: Remote) -> Remote:
    """``remote`` as it must be verified now: with the test registry's size and digests when one is set."""
    entry = test_registry().get(remote.name)
    if not entry:
        return remote
    return dataclasses.replace(remote, size=entry["size"], digest=entry["sha256"], unpacked=0,
                               members={m: entry["members"][m] for m in remote.members})
