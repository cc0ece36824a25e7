#!/usr/bin/env python3
"""Record Python jieba 0.42.1 outputs on seeds/ as JSON fixtures for the parity tests.

Run once (the fixtures are committed):

    pip install jieba==0.42.1
    python3 scripts/record_jieba_fixtures.py

Each seed document gets tests/fixtures/jieba-0.42.1/<seed>.json with the precise-mode
tokens (HMM on and off), full-mode and search-mode tokens, part-of-speech pairs, and the
TF-IDF and TextRank keywords (top 50) with their weights.

Then, with a custom IDF table and stop-word list (written to tests/fixtures/jieba-0.42.1-custom/
from the defaults' results, so they change them), each seed's keywords again, as
`jieba.analyse.set_idf_path` and `set_stop_words` make them: <seed>.json there.

Then, for each example dictionary profile (examples/profiles/NAME/), a tokenizer of its own after
`load_userdict` of the profile's `*.dict` files, with its IDF table and stop words when it has
them: every mode and both keyword methods on the profile sentences below, and the precise words,
tags and keywords of the seeds, in tests/fixtures/jieba-0.42.1-profiles/NAME.json.

Last, the differential fixtures (tests/fixtures/jieba-0.42.1-differential/, see
`differential.py` beside this script): every sentence of data/pku-1998-01/gold.txt, every
review of data/sentiment/dev.tsv, the seeds, and seeded random strings, each in every mode.

    python3 scripts/record_jieba_fixtures.py                    # everything
    python3 scripts/record_jieba_fixtures.py --differential     # only the differential fixtures
    python3 scripts/record_jieba_fixtures.py --profiles         # only the profiles' fixtures
    python3 scripts/record_jieba_fixtures.py --show pku 17      # Python's output for one text
"""
import argparse
import json
import logging
import pathlib
import sys

import jieba
import jieba.analyse
import jieba.posseg

EXPECTED_VERSION = "0.42.1"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / f"jieba-{EXPECTED_VERSION}"
CUSTOM = ROOT / "tests" / "fixtures" / f"jieba-{EXPECTED_VERSION}-custom"
PROFILES = ROOT / "examples" / "profiles"
PROFILE_FIXTURES = ROOT / "tests" / "fixtures" / f"jieba-{EXPECTED_VERSION}-profiles"

# Sentences with the example profiles' words, recorded for every profile (and the seeds too).
PROFILE_SENTENCES = [
    "患者确诊冠状动脉粥样硬化，行支架植入术后继续服用二甲双胍治疗",
    "幽门螺杆菌感染者应接受规范治疗，核酸检测结果为阴性",
    "糖化血红蛋白升高提示胰岛素抵抗，房颤患者需要抗凝治疗",
    "靶向治疗为晚期肺癌患者带来了新的希望",
    "买受人善意取得该动产，出卖人不得以定金罚则对抗",
    "无因管理与不当得利是债的发生原因，诉讼时效期间为三年",
    "当事人一方违约的，应当承担缔约过失责任或者支付违约金",
    "法院认为合同有效，驳回原告的诉讼请求",
]

# Short sentences users try first; recorded alongside the seeds.
SENTENCES = [
    "我来到北京清华大学",
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "结婚的和尚未结婚的",
]


def record(text):
    return {
        "precise": jieba.lcut(text),
        "precise_no_hmm": jieba.lcut(text, HMM=False),
        "full": jieba.lcut(text, cut_all=True),
        "search": jieba.lcut_for_search(text),
        "pos": [[p.word, p.flag] for p in jieba.posseg.lcut(text)],
        **keywords(text),
    }


def keywords(text):
    return {
        "tfidf": [[w, x] for w, x in jieba.analyse.extract_tags(text, topK=50, withWeight=True)],
        "tfidf_nouns": [
            [w, x]
            for w, x in jieba.analyse.extract_tags(
                text, topK=50, withWeight=True, allowPOS=("n", "ns", "vn")
            )
        ],
        "textrank": [[w, x] for w, x in jieba.analyse.textrank(text, topK=50, withWeight=True)],
    }


def record_custom(seeds):
    """A small IDF table (every seed's default top-20 TF-IDF words, with made-up values, so that
    most words fall back to its median) and stop words (each seed's default top three), then the
    keywords Python gives with them."""
    tops = [jieba.analyse.extract_tags(t, topK=20) for t in seeds.values()]
    words = sorted({w for top in tops for w in top})
    CUSTOM.mkdir(parents=True, exist_ok=True)
    idf = CUSTOM / "idf.txt"
    idf.write_text(
        "".join(f"{w} {1.0 + (i * 7919 % 97) / 8:.4f}\n" for i, w in enumerate(words)),
        encoding="utf-8",
    )
    stop = CUSTOM / "stop_words.txt"
    stop.write_text("".join(f"{w}\n" for w in sorted({w for top in tops for w in top[:3]})), encoding="utf-8")
    jieba.analyse.set_idf_path(str(idf))
    jieba.analyse.set_stop_words(str(stop))
    for name, text in seeds.items():
        fixture = {"source": f"seeds/{name}.txt", **keywords(text)}
        (CUSTOM / f"{name}.json").write_text(
            json.dumps(fixture, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )


def record_profiles(seeds):
    """Python's answers with each example profile's files, as the server gives them to requests
    naming that profile."""
    import jieba.posseg

    PROFILE_FIXTURES.mkdir(parents=True, exist_ok=True)
    texts = [{"text": t} for t in PROFILE_SENTENCES] + [
        {"source": f"seeds/{name}.txt", "text": text} for name, text in seeds.items()
    ]
    for profile in sorted(p for p in PROFILES.iterdir() if p.is_dir()):
        tokenizer = jieba.Tokenizer()
        for user_dict in sorted(profile.glob("*.dict")):
            tokenizer.load_userdict(str(user_dict))
        pos = jieba.posseg.POSTokenizer(tokenizer)
        idf = profile / "idf.txt"
        tfidf = jieba.analyse.TFIDF(str(idf) if idf.exists() else None)
        textrank = jieba.analyse.TextRank()
        tfidf.tokenizer, tfidf.postokenizer = tokenizer, pos
        textrank.tokenizer = textrank.pos_tokenizer = pos
        stop = profile / "stop-words.txt"
        if stop.exists():
            tfidf.set_stop_words(str(stop))
            textrank.set_stop_words(str(stop))
        records = []
        for entry in texts:
            text = entry["text"]
            record = {
                "precise": tokenizer.lcut(text),
                "precise_no_hmm": tokenizer.lcut(text, HMM=False),
                "full": tokenizer.lcut(text, cut_all=True),
                "search": tokenizer.lcut_for_search(text),
                "pos": [[p.word, p.flag] for p in pos.lcut(text)],
                "tfidf": [[w, x] for w, x in tfidf.extract_tags(text, topK=50, withWeight=True)],
                "textrank": [[w, x] for w, x in textrank.textrank(text, topK=50, withWeight=True)],
            }
            if "source" in entry:
                # The seeds are long: their precise words, tags and keywords are enough to show
                # that nothing else changed.
                for mode in ("precise_no_hmm", "full", "search"):
                    del record[mode]
                records.append({"source": entry["source"], **record})
            else:
                records.append({"text": text, **record})
        (PROFILE_FIXTURES / f"{profile.name}.json").write_text(
            json.dumps(records, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--differential", action="store_true", help="only the differential fixtures")
    parser.add_argument("--profiles", action="store_true", help="only the profiles' fixtures")
    parser.add_argument("--show", nargs=2, metavar=("CORPUS", "INDEX"), help="print one text's outputs")
    args = parser.parse_args()
    if jieba.__version__ != EXPECTED_VERSION:
        sys.exit(f"need jieba {EXPECTED_VERSION}, found {jieba.__version__}")
    jieba.setLogLevel(logging.WARNING)
    import differential

    if args.profiles:
        seeds = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))}
        record_profiles(seeds)
        return
    if args.show:
        differential.show(ROOT, args.show[0], int(args.show[1]))
        return
    if not args.differential:
        record_seeds()
    differential.record(ROOT)


def record_seeds():
    OUT.mkdir(parents=True, exist_ok=True)
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        fixture = {"source": f"seeds/{seed.name}", **record(text)}
        (OUT / f"{seed.stem}.json").write_text(
            json.dumps(fixture, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
    sentences = [{"text": s, **record(s)} for s in SENTENCES]
    (OUT / "sentences.json").write_text(
        json.dumps(sentences, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )
    seeds = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))}
    record_custom(seeds)
    record_profiles(seeds)


if __name__ == "__main__":
    main()
