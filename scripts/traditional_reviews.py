"""Writes data/sentiment/dev-traditional.tsv: data/sentiment/dev.tsv with each review converted to
Traditional Chinese by OpenCC's s2t tables, as data/pku-1998-01/gold-traditional.txt was made.

    pip install opencc-python-reimplemented==0.1.7
    python3 scripts/traditional_reviews.py

A converter independent of the one the service reads its tables from (opencc-fmmseg), so the
accuracy measured on the result (tests/it/traditional.rs) is not the round trip of one program's
tables. Reviews whose conversion would change their length are written unconverted (none do).
"""
import pathlib

from opencc import OpenCC

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    s2t = OpenCC("s2t")
    rows, changed, kept = [], 0, 0
    for line in (ROOT / "data/sentiment/dev.tsv").read_text(encoding="utf-8").splitlines():
        label, text = line.split("\t", 1)
        converted = s2t.convert(text)
        if len(converted) != len(text):
            converted, kept = text, kept + 1
        changed += converted != text
        rows.append(f"{label}\t{converted}\n")
    (ROOT / "data/sentiment/dev-traditional.tsv").write_text("".join(rows), encoding="utf-8")
    print(f"{len(rows)} reviews, {changed} changed, {kept} left as they were (length)")


if __name__ == "__main__":
    main()
