#!/usr/bin/env python3
"""Export Python jieba 0.42.1's word-cutting HMM (jieba/finalseg/prob_*.py) to data/jieba/finalseg_hmm.txt.

Run once (the output is committed): pip install jieba==0.42.1 && python3 scripts/export_finalseg_hmm.py

Format, UTF-8, one record a line, fields separated by single spaces, the four states always in
the order B E M S (begin, end, middle, single), a missing probability written as -3.14e+100
(finalseg's MIN_FLOAT):
  P <B> <E> <M> <S>          start log-probabilities
  T <from> <B> <E> <M> <S>   transition log-probabilities out of state <from>
  E <char> <B> <E> <M> <S>   emission log-probabilities of a character, in code point order
Numbers use Python's repr, which round-trips.
"""
import pathlib

import jieba
from jieba.finalseg import emit_P, start_P, trans_P

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "jieba" / "finalseg_hmm.txt"
STATES = "BEMS"
MIN_FLOAT = -3.14e100


def row(table):
    return " ".join(repr(table.get(s, MIN_FLOAT)) for s in STATES)


def main():
    assert jieba.__version__ == "0.42.1", jieba.__version__
    lines = ["P " + row(start_P)]
    lines += [f"T {s} " + row(trans_P.get(s, {})) for s in STATES]
    chars = sorted(set().union(*(emit_P[s].keys() for s in STATES)))
    lines += [f"E {ch} " + row({s: emit_P[s][ch] for s in STATES if ch in emit_P[s]}) for ch in chars]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
