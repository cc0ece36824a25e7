"""Differential fixtures: what Python jieba 0.42.1 gives on whole corpora, in every mode.

Used by record_jieba_fixtures.py. For each text of a corpus, one line of hashes, one per mode
(MODES, in that order): the first 8 hex digits of the SHA-256 of the mode's output written as
`serialize` does. tests/it/differential.rs computes the same from the service's core and names
the text and mode that differ; `record_jieba_fixtures.py --show CORPUS INDEX` prints Python's
output for that text to compare.

Corpora (tests/fixtures/jieba-0.42.1-differential/):
- pku.hashes: every line of data/pku-1998-01/gold.txt, its words joined back into the sentence;
- reviews.hashes: every review of data/sentiment/dev.tsv;
- seeds.hashes: the files of seeds/, whole;
- random.jsonl: RANDOM_COUNT seeded random strings drawn from every character class that the
  block rules treat differently, each with its hashes (the texts are stored, since Rust cannot
  replay Python's generator).
"""
import hashlib
import json
import random
import struct

import jieba
import jieba.analyse
import jieba.posseg

MODES = [
    "precise",
    "precise_no_hmm",
    "full",
    "search",
    "search_no_hmm",
    "pos",
    "pos_no_hmm",
    "tfidf",
    "tfidf_nouns",
    "textrank",
]
NOUNS = ("n", "ns", "vn")
TOP_K = 20
RANDOM_COUNT = 4000
RANDOM_SEED = 20261130


def outputs(text):
    """Each mode's output as a list of strings."""
    def weighted(pairs):
        return [f"{w}\x1e{struct.pack('>d', x).hex()}" for w, x in pairs]

    return {
        "precise": jieba.lcut(text),
        "precise_no_hmm": jieba.lcut(text, HMM=False),
        # Python's full mode yields empty strings between two whitespace characters; the
        # service never answers an empty token (the one intended difference).
        "full": [w for w in jieba.lcut(text, cut_all=True) if w],
        "search": jieba.lcut_for_search(text),
        "search_no_hmm": jieba.lcut_for_search(text, HMM=False),
        "pos": [f"{p.word}/{p.flag}" for p in jieba.posseg.lcut(text)],
        "pos_no_hmm": [f"{p.word}/{p.flag}" for p in jieba.posseg.lcut(text, HMM=False)],
        "tfidf": weighted(jieba.analyse.extract_tags(text, topK=TOP_K, withWeight=True)),
        "tfidf_nouns": weighted(
            jieba.analyse.extract_tags(text, topK=TOP_K, withWeight=True, allowPOS=NOUNS)
        ),
        "textrank": weighted(jieba.analyse.textrank(text, topK=TOP_K, withWeight=True)),
    }


def serialize(items):
    """Items joined by U+001F (a token can hold any other character, U+001F included only in
    random strings, where it is whitespace and so a token of its own)."""
    return "\x1f".join(items)


def digest(items):
    return hashlib.sha256(serialize(items).encode("utf-8")).hexdigest()[:8]


def hashes(text):
    out = outputs(text)
    return " ".join(digest(out[m]) for m in MODES)


def pku_sentences(root):
    lines = (root / "data/pku-1998-01/gold.txt").read_text(encoding="utf-8").splitlines()
    return ["".join(t.rsplit("/", 1)[0] for t in line.split("  ") if t) for line in lines]


def reviews(root):
    lines = (root / "data/sentiment/dev.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines]


def seeds(root):
    return [p.read_text(encoding="utf-8") for p in sorted((root / "seeds").glob("*.txt"))]


# Character classes for the random strings: each a function of the generator.
def _range(lo, hi):
    return lambda r: chr(r.randint(lo, hi))


def _pick(chars):
    return lambda r: r.choice(chars)


def _dict_words():
    jieba.dt.check_initialized()
    words = [w for w in jieba.dt.FREQ if jieba.dt.FREQ[w]]
    words.sort()
    mixed = [w for w in words if any(c.isascii() for c in w)]
    return words, mixed


def random_texts():
    r = random.Random(RANDOM_SEED)
    words, mixed = _dict_words()
    classes = [
        ("han", _range(0x4E00, 0x9FD5), 8),
        ("word", _pick(words), 8),
        ("mixed_word", _pick(mixed), 3),
        ("han_tail", _range(0x9FD6, 0x9FFF), 1),
        ("ext_a", _range(0x3400, 0x4DBF), 1),
        ("ext_b_f", _range(0x20000, 0x2EBEF), 1),
        ("compat", _range(0xF900, 0xFAFF), 1),
        ("ascii_letter", _pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), 4),
        ("ascii_digit", _pick("0123456789"), 4),
        ("connector", _pick("+#&._%-"), 4),
        ("space", _pick([" ", "  ", "\t", "\r\n", "\n\n", "\n", "\r", "\u3000", "\xa0", "\x1c", "\x0b"]), 3),
        ("fullwidth", _pick("ＡＢＣｘｙｚ０１２３４５６７８９"), 2),
        ("punct", _pick("，。！？；：“”「」《》、…—（）·"), 4),
        ("emoji", _pick(["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇨🇳", "❤️", "🙂"]), 1),
        ("traditional", _pick("們說這個國開發時間問題經濟學會電腦網絡長東車書見買點聽寫讀飛風"), 3),
        ("other", _pick(["é", "ß", "Ω", "д", "한", "か", "ア", "\u200b", "©", "½"]), 1),
    ]
    pickers = [c[1] for c in classes]
    weights = [c[2] for c in classes]
    texts = []
    for _ in range(RANDOM_COUNT):
        n = r.randint(1, 24)
        texts.append("".join(r.choices(pickers, weights)[0](r) for _ in range(n)))
    return texts


def corpus(root, name):
    if name == "pku":
        return pku_sentences(root)
    if name == "reviews":
        return reviews(root)
    if name == "seeds":
        return seeds(root)
    if name == "random":
        return random_texts()
    raise SystemExit(f"unknown corpus {name}: pku, reviews, seeds or random")


def record(root):
    out = root / "tests/fixtures/jieba-0.42.1-differential"
    out.mkdir(parents=True, exist_ok=True)
    header = "# " + " ".join(MODES) + "\n"
    for name in ("seeds", "reviews", "pku"):
        lines = [hashes(t) + "\n" for t in corpus(root, name)]
        (out / f"{name}.hashes").write_text(header + "".join(lines), encoding="utf-8")
    with open(out / "random.jsonl", "w", encoding="utf-8") as f:
        f.write(json.dumps({"modes": MODES, "seed": RANDOM_SEED}) + "\n")
        for t in random_texts():
            f.write(json.dumps({"text": t, "hashes": hashes(t)}, ensure_ascii=False) + "\n")


def show(root, name, index):
    text = corpus(root, name)[index]
    print(json.dumps({"text": text, **outputs(text)}, ensure_ascii=False, indent=1))
