"""The review generator's words: VADER's human-rated sentiment words, their real GloVe neighbours, movie words."""
import functools
import re
from pathlib import Path

import numpy as np

from .sample_glove import glove_table

GLOVE_TOP = 50_000        # only GloVe's 50,000 most frequent tokens are used and searched
NEIGHBOURS = 15           # a synonym is among the 15 nearest GloVe neighbours of a training word
MAX_SYNONYMS = 5          # synonyms per training word, at most

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
# Syllables of the invented character names (kept only where GloVe lacks the name: "missing words stay zero").
NAME_SYLLABLES = "zor vak mel ith quen dra lys tor bran wyn kess ara thal oriv cael syl vex nim".split()
CHARACTERS = 40           # invented character names in the pool


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
        "characters": invented_names(set(tokens)),
        "glove": frozenset(tokens),
    }


def invented_names(glove: set) -> list:
    """Character names made of two syllables that GloVe does not know (every ``CHARACTERS``-th pair in order)."""
    names = [a + b for a in NAME_SYLLABLES for b in NAME_SYLLABLES if a != b and a + b not in glove]
    step = max(len(names) // CHARACTERS, 1)
    return names[::step][:CHARACTERS]


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
