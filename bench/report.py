"""Turns bench/run.sh's results.jsonl into Markdown tables (tables.md) and a plot of throughput
against concurrency (throughput.svg), and prints the tables.

    python bench/report.py RESULTS.jsonl OUT_DIR
"""

import json
import pathlib
import sys


def main() -> None:
    results_path, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    rows = {}
    for line in results_path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            rows[r["label"]] = r

    def curve(side):
        points = []
        for label, r in rows.items():
            if label.startswith(f"{side} short c"):
                points.append((int(label.rsplit("c", 1)[1]), r))
        return sorted(points, key=lambda p: p[0])

    ours, python, empty = curve("b"), curve("c"), curve("d")
    best_ours = max(r["rps"] for _, r in ours)
    best_python = max(r["rps"] for _, r in python)
    best_empty = max(r["rps"] for _, r in empty)

    def pairs(answer):
        """The long-document (a, b) pairs of one answer shape, run one after the other, by
        their ratio."""
        found = []
        for run in range(1, 10):
            a, b = rows.get(f"a long {answer} {run}"), rows.get(f"b long {answer} {run}")
            if a and b:
                found.append((b["mb_per_s"] / a["mb_per_s"], a, b))
        return sorted(found, key=lambda p: p[0])

    long_rows = {}
    for answer in ("tokens", "words", "boundaries"):
        found = pairs(answer)
        ratio, a, b = found[len(found) // 2]
        tail = ", ".join(f"{p[0]:.2f}" for p in found)
        long_rows[answer] = (ratio, a, b, tail, len(found))
    halves = sorted(
        (r for label, r in rows.items() if label.startswith("b short at half saturation")),
        key=lambda r: r["p99_us"],
    )
    half = halves[len(halves) // 2]
    tails = ", ".join(f"{r['p99_us'] / 1000:.2f}" for r in halves)
    # Start-up and idle memory: the median of the starts (older runs recorded one).
    starts = sorted(
        (r for label, r in rows.items() if label.startswith("b startup")),
        key=lambda r: r["startup_ms"],
    )
    start = starts[len(starts) // 2]
    start_tail = ", ".join(str(r["startup_ms"]) for r in starts)
    idle = sorted(r["idle_rss_kb"] for r in starts)[len(starts) // 2]
    soak = rows["b soak"]
    mean = soak["rss_kb_settled_mean"]
    rss_spread = max(soak["rss_kb_settled_max"] - mean, mean - soak["rss_kb_settled_min"]) / mean * 100

    def verdict(ok):
        return "met" if ok else "**not met**"

    lines = []
    lines.append("| Contract | Target | Measured | |")
    lines.append("|---|---|---|---|")
    for answer, name, ceiling, target in (
        ("words", "words-only answer", "in-process jieba-rs `cut`", 0.85),
        ("boundaries", "boundaries-only answer", "in-process jieba-rs `cut`", 0.90),
        ("tokens", "full answer", "in-process jieba-rs `tokenize`", 0.70),
    ):
        ratio, a, b, tail, n = long_rows[answer]
        lines.append(
            f"| long document (97 KB), {name}, MB/s, (b) ÷ (a) {ceiling}, one core | ≥ {target:.2f}× | "
            f"{ratio:.2f}× ({b['mb_per_s']:.2f} ÷ {a['mb_per_s']:.2f} MB/s), the median of {n} "
            f"pairs run back to back ({tail}) | {verdict(ratio >= target)} |"
        )
    ratio = best_ours / best_python
    lines.append(
        f"| short texts, requests/s, (b) ÷ (c) Python grpcio + jieba, one core each | ≥ 20× | "
        f"{ratio:.1f}× ({best_ours:,.0f}/s ÷ {best_python:,.0f}/s) | {verdict(ratio >= 20)} |"
    )
    ratio = best_ours / best_empty
    lines.append(
        f"| short texts, requests/s, (b) ÷ (d) an empty tonic server, one core each | ≥ 0.80× | "
        f"{ratio:.2f}× ({best_ours:,.0f}/s ÷ {best_empty:,.0f}/s) | {verdict(ratio >= 0.8)} |"
    )
    lines.append(
        f"| p99 latency, short texts at half saturation ({half['rate']:,.0f}/s) | < 1 ms | "
        f"{half['p99_us'] / 1000:.2f} ms, the median of {len(halves)} runs "
        f"({tails} ms; p50 {half['p50_us'] / 1000:.2f} ms) | "
        f"{verdict(half['p99_us'] < 1000 and half['failed'] == 0)} |"
    )
    lines.append(
        f"| start-up to first SERVING answer | < 0.3 s | {start['startup_ms']} ms, the median of "
        f"{len(starts)} starts ({start_tail} ms) | {verdict(start['startup_ms'] < 300)} |"
    )
    lines.append(
        f"| idle RSS, default dictionary and models | < 100 MB | {idle / 1024:.0f} MB | "
        f"{verdict(idle < 100 * 1024)} |"
    )
    lines.append(
        f"| RSS over a {round(soak['secs'] / 60)}-minute load run of mixed calls ({soak['calls']:,} calls, "
        f"{soak['failed']} failed), after its first minute | flat ±10 % | "
        f"{soak['rss_kb_settled_min'] / 1024:.0f}–{soak['rss_kb_settled_max'] / 1024:.0f} MB "
        f"(±{rss_spread:.1f} % of the mean; {soak['rss_kb_first'] / 1024:.0f} MB at the start) | "
        f"{verdict(rss_spread <= 10 and soak['failed'] == 0)} |"
    )
    lines.append("")
    lines.append("| Short texts, one core each | concurrency | requests/s | p50 | p99 | server CPU per call |")
    lines.append("|---|---|---|---|---|---|")
    for name, points in (
        ("(b) textanalysis", ours),
        ("(c) Python grpcio + jieba", python),
        ("(d) empty tonic server", empty),
    ):
        for c, r in points:
            lines.append(
                f"| {name} | {c} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} ms | "
                f"{r['p99_us'] / 1000:.2f} ms | {r['server_cpu_us_per_call']:.0f} µs |"
            )
    lines.append(
        f"| (a) jieba-rs in-process | – | {rows['a short 1 core']['rps']:,.0f} | | | |"
    )
    lines.append("")
    lines.append("| Long document (97 KB), one core ((a) and (b) from each median pair) | MB/s | documents/s |")
    lines.append("|---|---|---|")
    for name, r in (
        ("(a) jieba-rs `tokenize` in-process (offsets)", long_rows["tokens"][1]),
        ("(b) textanalysis, full answer (tokens with offsets)", long_rows["tokens"][2]),
        ("(a) jieba-rs `cut` in-process (words)", long_rows["words"][1]),
        ("(b) textanalysis, words-only answer", long_rows["words"][2]),
        ("(a) jieba-rs `cut` in-process", long_rows["boundaries"][1]),
        ("(b) textanalysis, boundaries-only answer", long_rows["boundaries"][2]),
        ("(c) Python grpcio + jieba, full answer", rows["c long 1 core"]),
    ):
        lines.append(f"| {name} | {r['mb_per_s']:.2f} | {r['rps']:.1f} |")
    table = "\n".join(lines) + "\n"
    (out / "tables.md").write_text(table)
    print(table)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, points, style in (
        ("(b) textanalysis", ours, "o-"),
        ("(c) Python grpcio + jieba", python, "s--"),
        ("(d) empty tonic server", empty, "^:"),
    ):
        ax.plot([c for c, _ in points], [r["rps"] for _, r in points], style, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("calls in flight (closed loop)")
    ax.set_ylabel("Segment calls/s, ~100-character texts")
    ax.set_title("Throughput against concurrency, server on one core")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "throughput.svg")
    print(f"bench: wrote {out / 'tables.md'} and {out / 'throughput.svg'}", file=sys.stderr)


if __name__ == "__main__":
    main()
