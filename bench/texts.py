"""Writes the benchmark texts from seeds/: short.txt (pieces of about 100 characters, cut at
sentence ends, one a line) and long.txt (every seed document, about 96 KB, as one text).

    python bench/texts.py seeds OUT_DIR
"""

import pathlib
import re
import sys


def main() -> None:
    seeds, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    documents = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    if not documents:
        sys.exit(f"no *.txt in {seeds}")
    pieces, current = [], ""
    for document in documents:
        for sentence in re.findall(r"[^。！？!?\n]+[。！？!?]?", document):
            sentence = sentence.strip()
            if not sentence:
                continue
            current += sentence
            if len(current) >= 90:
                pieces.append(current[:120])
                current = ""
    out.mkdir(parents=True, exist_ok=True)
    (out / "short.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
    long = "".join(documents).replace("\r", "").replace("\n", " ")
    (out / "long.txt").write_text(long, encoding="utf-8")
    mean = sum(map(len, pieces)) / len(pieces)
    print(f"bench: {len(pieces)} short texts (mean {mean:.0f} chars), long text {len(long.encode())} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
