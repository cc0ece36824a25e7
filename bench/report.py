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

    ours, python = curve("b"), curve("c")
    best_ours = max(r["rps"] for _, r in ours)
    best_python = max(r["rps"] for _, r in python)
    def pairs(cores):
        """The long-document (a, b) pairs run one after the other, by their ratio."""
        found = []
        for run in range(1, 10):
            a, b = rows.get(f"a long {cores} {run}"), rows.get(f"b long {cores} {run}")
            if a and b:
                found.append((b["mb_per_s"] / a["mb_per_s"], a, b))
        return sorted(found, key=lambda p: p[0])

    long_rows = {}
    for cores in ("1 core", "2 cores"):
        found = pairs(cores)
        ratio, a, b = found[len(found) // 2]
        tail = ", ".join(f"{p[0]:.2f}" for p in found)
        long_rows[cores] = (ratio, a, b, tail, len(found))
    halves = sorted(
        (r for label, r in rows.items() if label.startswith("b short at half saturation")),
        key=lambda r: r["p99_us"],
    )
    half = halves[len(halves) // 2]
    tails = ", ".join(f"{r['p99_us'] / 1000:.2f}" for r in halves)
    start = rows["b startup"]
    soak = rows["b soak"]
    mean = soak["rss_kb_settled_mean"]
    rss_spread = max(soak["rss_kb_settled_max"] - mean, mean - soak["rss_kb_settled_min"]) / mean * 100

    def verdict(ok):
        return "met" if ok else "**not met**"

    lines = []
    lines.append("| Contract | Target | Measured | |")
    lines.append("|---|---|---|---|")
    ratio = best_ours / best_python
    lines.append(
        f"| short texts, requests/s, (b) ÷ (c), one core each | ≥ 15× | "
        f"{ratio:.1f}× ({best_ours:,.0f}/s ÷ {best_python:,.0f}/s) | {verdict(ratio >= 15)} |"
    )
    for cores, name in (("1 core", "one core"), ("2 cores", "two cores")):
        ratio, a, b, tail, n = long_rows[cores]
        lines.append(
            f"| long document, MB/s, (b) ÷ (a), {name} | ≥ 0.85× | "
            f"{ratio:.2f}× ({b['mb_per_s']:.2f} ÷ {a['mb_per_s']:.2f} MB/s), the median of {n} "
            f"pairs run back to back ({tail}) | {verdict(ratio >= 0.85)} |"
        )
    lines.append(
        f"| p99 latency, short texts at half saturation ({half['rate']:,.0f}/s) | < 2 ms | "
        f"{half['p99_us'] / 1000:.2f} ms, the median of {len(halves)} runs "
        f"({tails} ms; p50 {half['p50_us'] / 1000:.2f} ms) | "
        f"{verdict(half['p99_us'] < 2000 and half['failed'] == 0)} |"
    )
    lines.append(
        f"| start-up to first SERVING answer | < 1 s | {start['startup_ms']} ms | "
        f"{verdict(start['startup_ms'] < 1000)} |"
    )
    lines.append(
        f"| idle RSS | < 150 MB | {start['idle_rss_kb'] / 1024:.0f} MB | "
        f"{verdict(start['idle_rss_kb'] < 150 * 1024)} |"
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
    for name, points in (("(b) textanalysis", ours), ("(c) Python grpcio + jieba", python)):
        for c, r in points:
            lines.append(
                f"| {name} | {c} | {r['rps']:,.0f} | {r['p50_us'] / 1000:.2f} ms | "
                f"{r['p99_us'] / 1000:.2f} ms | {r['server_cpu_us_per_call']:.0f} µs |"
            )
    lines.append(
        f"| (a) jieba-rs in-process | – | {rows['a short 1 core']['rps']:,.0f} | | | |"
    )
    lines.append("")
    lines.append("| Long document (97 KB; (a) and (b) from the median pair) | MB/s | documents/s |")
    lines.append("|---|---|---|")
    for name, r in (
        ("(a) jieba-rs in-process, one thread", long_rows["1 core"][1]),
        ("(b) textanalysis, one core", long_rows["1 core"][2]),
        ("(c) Python grpcio + jieba, one core", rows["c long 1 core"]),
        ("(a) jieba-rs in-process, two threads", long_rows["2 cores"][1]),
        ("(b) textanalysis, two cores", long_rows["2 cores"][2]),
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
