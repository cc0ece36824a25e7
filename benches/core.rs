//! Core throughput without gRPC: segmentation modes, tagging, keywords and classification on
//! short (~100 characters, a review), medium (~2,000 characters) and long (all of `seeds/`,
//! ~100 KB) texts; the cost of analysing Traditional text in Simplified form on reviews; and
//! the accurate segmenter, with and without tags, beside precise mode on the seeds and on the
//! dev lines of the PKU corpus (`accurate/…`, the figures BENCHMARKS.md reports as MB/s).
//!
//! Run: `cargo bench --bench core` (add `-- classify` to filter). Criterion reports time per
//! call and throughput in bytes; compare rows of one run, not absolute numbers across
//! machines.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use textanalysis::core::{
    Analyzer, AnalyzerConfig, ClassifyOptions, Deadline, KeywordMethod, KeywordOptions, Normalized,
    Script, SegmentMode, SegmentOptions, builtin_jieba,
};

/// The tenant's profile of the `profile_` group.
#[path = "../bench/shared.rs"]
mod shared;

fn texts() -> Vec<(&'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reviews = std::fs::read_to_string(root.join("data/sentiment/dev.tsv")).expect("dev.tsv");
    let short = reviews
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
        .find(|t| (90..=110).contains(&t.chars().count()))
        .expect("a review of about 100 characters")
        .to_owned();
    let mut seeds: Vec<_> = std::fs::read_dir(root.join("seeds"))
        .expect("seeds/")
        .map(|e| e.expect("entry").path())
        .collect();
    seeds.sort();
    let long: String = seeds
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("seed"))
        .collect();
    let medium: String = long.chars().take(2000).collect();
    vec![("short", short), ("medium", medium), ("long", long)]
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    // jieba-rs alone with the same dictionary, side by side with the analyzer: its `cut` is
    // what precise mode was before it followed Python's rules (and the ceiling of precise mode).
    let jieba = builtin_jieba();
    let segment = |mode, hmm, with_pos| SegmentOptions {
        mode,
        hmm,
        with_pos,
    };
    let segmentations = [
        ("precise", segment(SegmentMode::Precise, true, false)),
        (
            "precise_no_hmm",
            segment(SegmentMode::Precise, false, false),
        ),
        ("search", segment(SegmentMode::Search, true, false)),
        ("full", segment(SegmentMode::Full, true, false)),
        ("pos", segment(SegmentMode::Precise, true, true)),
    ];
    let keywords = |method| KeywordOptions {
        method,
        ..KeywordOptions::default()
    };
    for (size, text) in texts() {
        let mut group = c.benchmark_group(size);
        group.throughput(Throughput::Bytes(text.len() as u64));
        if size == "long" {
            group.sample_size(10);
        }
        for (name, options) in &segmentations {
            group.bench_function(BenchmarkId::new("segment", name), |b| {
                b.iter(|| {
                    analyzer
                        .segment(black_box(&text), options, Deadline::NONE)
                        .map(|t| t.len())
                })
            });
        }
        for (name, hmm) in [("cut", true), ("cut_no_hmm", false)] {
            group.bench_function(BenchmarkId::new("jieba_rs", name), |b| {
                b.iter(|| jieba.cut(black_box(&text), hmm).len())
            });
        }
        for (name, method) in [
            ("tfidf", KeywordMethod::TfIdf),
            ("textrank", KeywordMethod::TextRank),
        ] {
            let options = keywords(method);
            group.bench_function(BenchmarkId::new("keywords", name), |b| {
                b.iter(|| {
                    analyzer
                        .keywords(black_box(&text), &options, Deadline::NONE)
                        .map(|k| k.len())
                })
            });
        }
        let options = ClassifyOptions::default();
        group.bench_function(BenchmarkId::new("classify", "sentiment"), |b| {
            b.iter(|| {
                analyzer
                    .classify(black_box(&text), &options, Deadline::NONE)
                    .map(|c| c.labels.len())
            })
        });
        group.finish();
    }
}

/// The reviews of `data/sentiment/dev.tsv` and `dev-traditional.tsv` (the same reviews in
/// Traditional), as (Simplified, Traditional) pairs.
fn review_pairs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sentiment");
    let texts = |name: &str| -> Vec<String> {
        std::fs::read_to_string(root.join(name))
            .expect(name)
            .lines()
            .filter_map(|l| l.split_once('\t').map(|(_, t)| t.to_owned()))
            .collect()
    };
    texts("dev.tsv")
        .into_iter()
        .zip(texts("dev-traditional.tsv"))
        .collect()
}

/// Traditional text analysed in Simplified form, beside the segmentation of the Simplified form
/// alone: on a ~100-character review (the one the "short" group segments) and on 2,000
/// characters of reviews.
fn bench_traditional(c: &mut Criterion) {
    let analyzer = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    let pairs = review_pairs();
    let short = pairs
        .iter()
        .find(|(s, _)| (90..=110).contains(&s.chars().count()))
        .expect("a review of about 100 characters")
        .clone();
    let (mut simplified, mut traditional) = (String::new(), String::new());
    for (s, t) in &pairs {
        if simplified.chars().count() >= 2000 {
            break;
        }
        simplified.push_str(s);
        traditional.push_str(t);
    }
    let options = SegmentOptions::default();
    for (size, (simplified, traditional)) in
        [("short", short), ("medium", (simplified, traditional))]
    {
        let mut group = c.benchmark_group(format!("traditional_{size}"));
        group.throughput(Throughput::Bytes(traditional.len() as u64));
        let rows = [
            (
                "simplified_form_alone",
                simplified.as_str(),
                Script::Simplified,
            ),
            ("traditional", traditional.as_str(), Script::Traditional),
            ("auto_on_traditional", traditional.as_str(), Script::Auto),
            ("auto_on_simplified", simplified.as_str(), Script::Auto),
        ];
        for (name, text, script) in rows {
            group.bench_function(BenchmarkId::new("segment", name), |b| {
                b.iter(|| {
                    let text = Normalized::new(black_box(text), script);
                    analyzer
                        .segment(&text, &options, Deadline::NONE)
                        .map(|t| t.len())
                })
            });
        }
        group.bench_function(BenchmarkId::new("convert", "traditional"), |b| {
            b.iter(|| Normalized::new(black_box(&traditional), Script::Traditional).converted())
        });
        group.finish();
    }
}

/// The dev lines of the PKU corpus (0-based line number 9 modulo 10), one sentence a line,
/// without the segmentation.
fn pku_dev_text() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus =
        textanalysis::core::accurate::read_corpus(&root.join("data/pku-1998-01/gold.txt"), false)
            .expect("the PKU corpus");
    corpus
        .sentences
        .iter()
        .filter(|(line, _)| line % 10 == 9)
        .map(|(_, s)| s.text() + "\n")
        .collect()
}

fn bench_accurate(c: &mut Criterion) {
    let analyzer = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    let seeds = texts().pop().expect("the long text").1;
    let options = |mode, with_pos| SegmentOptions {
        mode,
        hmm: true,
        with_pos,
    };
    let runs = [
        ("precise", options(SegmentMode::Precise, false)),
        ("accurate", options(SegmentMode::Accurate, false)),
        ("accurate_pos", options(SegmentMode::Accurate, true)),
    ];
    for (name, text) in [("seeds", seeds), ("pku_dev", pku_dev_text())] {
        let mut group = c.benchmark_group(format!("accurate/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.sample_size(10);
        for (run, options) in &runs {
            group.bench_function(*run, |b| {
                b.iter(|| {
                    analyzer
                        .segment(black_box(&text), options, Deadline::NONE)
                        .map(|t| t.len())
                })
            });
        }
        group.finish();
    }
}

/// Segmentation on a tenant's profile beside the default profile, in one run (the issue's
/// target: at least 0.95 of the default's throughput). The default profile cuts with jieba-rs;
/// a profile with words of its own with the route over the shared dictionary and its own.
fn bench_profile(c: &mut Criterion) {
    let default = Analyzer::new(&AnalyzerConfig::default()).expect("built-in data");
    let tenant = shared::tenant(&default);
    let options = |hmm, with_pos| SegmentOptions {
        mode: SegmentMode::Precise,
        hmm,
        with_pos,
    };
    let runs = [
        ("precise", options(true, false)),
        ("precise_no_hmm", options(false, false)),
        ("pos", options(true, true)),
    ];
    for (size, text) in texts() {
        let mut group = c.benchmark_group(format!("profile_{size}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        if size == "long" {
            group.sample_size(10);
        }
        for (run, options) in &runs {
            for (who, analyzer) in [("default", &default), ("tenant", &tenant)] {
                group.bench_function(BenchmarkId::new(who, run), |b| {
                    b.iter(|| {
                        analyzer
                            .segment(black_box(&text), options, Deadline::NONE)
                            .map(|t| t.len())
                    })
                });
            }
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    bench,
    bench_traditional,
    bench_accurate,
    bench_profile
);
criterion_main!(benches);
