#!/usr/bin/env python3
"""Export Python jieba 0.42.1's part-of-speech HMM (jieba/posseg/*.py) to data/jieba/posseg_hmm.txt.

Run once (the output is committed): pip install jieba==0.42.1 && python3 scripts/export_posseg_hmm.py

Format, UTF-8, one record a line, fields separated by single spaces:
  S <state>            the states, in Python's tuple order; a state is <position>-<tag>, e.g. B-n
  P <state> <logp>     start log-probability (every state)
  T <from> <to> <logp> transition log-probability
  C <char> <state>...  the states a character may take (jieba's char_state_tab)
  E <char> <state>:<logp>...  emission log-probabilities of a character
States are written by index into the S list. Numbers use Python's repr, which round-trips.
"""
import pathlib

import jieba
from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "jieba" / "posseg_hmm.txt"


def main():
    assert jieba.__version__ == "0.42.1", jieba.__version__
    states = sorted(trans_P.keys())
    index = {s: i for i, s in enumerate(states)}
    lines = [f"S {p}-{t}" for p, t in states]
    lines += [f"P {index[s]} {start_P[s]!r}" for s in states]
    for s in states:
        lines += [f"T {index[s]} {index[d]} {v!r}" for d, v in sorted(trans_P[s].items())]
    for ch in sorted(char_state_tab_P):
        lines.append("C " + ch + " " + " ".join(str(index[s]) for s in sorted(char_state_tab_P[ch])))
    by_char = {}
    for s in states:
        for ch, v in emit_P[s].items():
            by_char.setdefault(ch, []).append(f"{index[s]}:{v!r}")
    for ch in sorted(by_char):
        lines.append("E " + ch + " " + " ".join(by_char[ch]))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
