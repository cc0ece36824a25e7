//! Parity with Python jieba 0.42.1, whose outputs on `seeds/` are recorded in
//! `tests/fixtures/jieba-0.42.1/` by `scripts/record_jieba_fixtures.py`.
//!
//! Every mode equals Python's token for token (the full mode apart from Python's empty
//! strings, the one documented difference), and keywords word for word with their weights.
//! These fixtures hold Python's full outputs, for readable failures; `differential.rs` checks
//! the same on whole corpora by hash.

use std::path::{Path, PathBuf};

use serde_json::Value;
use textanalysis::core::{
    Analyzer, AnalyzerConfig, Deadline, KeywordMethod, KeywordOptions, SegmentMode, SegmentOptions,
};

fn fixtures() -> Vec<(String, String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/fixtures/jieba-0.42.1");
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        match fixture.as_array() {
            Some(sentences) => {
                for s in sentences {
                    let text = s["text"].as_str().unwrap().to_owned();
                    out.push((text.clone(), text, s.clone()));
                }
            }
            None => {
                let source = fixture["source"].as_str().unwrap().to_owned();
                let text = std::fs::read_to_string(root.join(&source)).unwrap();
                out.push((source, text, fixture));
            }
        }
    }
    out
}

fn analyzer() -> &'static Analyzer {
    static ANALYZER: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new(&AnalyzerConfig::default()).unwrap())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
}

fn precise_words(text: &str, hmm: bool) -> Vec<String> {
    let options = SegmentOptions {
        mode: SegmentMode::Precise,
        hmm,
        with_pos: false,
    };
    analyzer()
        .segment(text, &options, Deadline::NONE)
        .unwrap()
        .iter()
        .map(|t| t.word.to_owned())
        .collect()
}

#[test]
fn precise_mode_equals_python_cut() {
    for (name, text, fixture) in fixtures() {
        for (key, hmm) in [("precise", true), ("precise_no_hmm", false)] {
            assert_eq!(
                precise_words(&text, hmm),
                strings(&fixture[key]),
                "{name} {key}"
            );
        }
    }
}

fn mode_words(text: &str, mode: SegmentMode) -> Vec<String> {
    let options = SegmentOptions {
        mode,
        ..SegmentOptions::default()
    };
    analyzer()
        .segment(text, &options, Deadline::NONE)
        .unwrap()
        .iter()
        .map(|t| t.word.to_owned())
        .collect()
}

#[test]
fn full_and_search_modes_equal_python() {
    for (name, text, fixture) in fixtures() {
        for (key, mode) in [("full", SegmentMode::Full), ("search", SegmentMode::Search)] {
            // Python's full mode yields empty strings next to white space; we never do.
            let theirs: Vec<String> = strings(&fixture[key])
                .into_iter()
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(mode_words(&text, mode), theirs, "{name} {key}");
        }
    }
}

fn keywords(text: &str, method: KeywordMethod, allowed_pos: &[&str]) -> Vec<(String, f64)> {
    keywords_of(analyzer(), text, method, allowed_pos)
}

fn keywords_of(
    analyzer: &Analyzer,
    text: &str,
    method: KeywordMethod,
    allowed_pos: &[&str],
) -> Vec<(String, f64)> {
    let options = KeywordOptions {
        method,
        top_k: 50,
        allowed_pos: allowed_pos.iter().map(|s| s.to_string()).collect(),
        ..KeywordOptions::default()
    };
    analyzer
        .keywords(text, &options, Deadline::NONE)
        .unwrap()
        .into_iter()
        .map(|k| (k.word, k.weight))
        .collect()
}

fn expected_keywords(v: &Value) -> Vec<(String, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_f64().unwrap()))
        .collect()
}

fn assert_same_keywords(name: &str, ours: &[(String, f64)], theirs: &[(String, f64)]) {
    let words = |k: &[(String, f64)]| k.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>();
    assert_eq!(words(ours), words(theirs), "{name}: words or order differ");
    for ((w, a), (_, b)) in ours.iter().zip(theirs) {
        assert!((a - b).abs() < 1e-6, "{name}: weight of {w}: {a} vs {b}");
    }
}

#[test]
fn tfidf_equals_python_extract_tags() {
    for (name, text, fixture) in fixtures() {
        let ours = keywords(&text, KeywordMethod::TfIdf, &[]);
        assert_same_keywords(&name, &ours, &expected_keywords(&fixture["tfidf"]));
    }
}

/// `--idf` and `--stop-words` against `jieba.analyse.set_idf_path` and `set_stop_words`: a
/// small IDF table (most words take its median) and stop words that were top keywords.
#[test]
fn custom_idf_and_stop_words_match_python() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/fixtures/jieba-0.42.1-custom");
    let custom = Analyzer::new(&AnalyzerConfig {
        idf: Some(dir.join("idf.txt")),
        stop_words: Some(dir.join("stop_words.txt")),
        ..Default::default()
    })
    .unwrap();
    let defaults: Vec<(String, String, Value)> = fixtures()
        .into_iter()
        .filter(|(name, _, _)| name.starts_with("seeds/"))
        .collect();
    assert_eq!(defaults.len(), 5);
    for (name, text, default) in defaults {
        let stem = Path::new(&name).file_stem().unwrap().to_str().unwrap();
        let fixture: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{stem}.json"))).unwrap(),
        )
        .unwrap();
        let theirs = expected_keywords(&fixture["tfidf"]);
        assert_ne!(theirs, expected_keywords(&default["tfidf"]), "{name}");
        let ours = keywords_of(&custom, &text, KeywordMethod::TfIdf, &[]);
        assert_same_keywords(&name, &ours, &theirs);
        let ours = keywords_of(&custom, &text, KeywordMethod::TfIdf, &["n", "ns", "vn"]);
        assert_same_keywords(&name, &ours, &expected_keywords(&fixture["tfidf_nouns"]));
        let ours = keywords_of(&custom, &text, KeywordMethod::TextRank, &[]);
        assert_same_keywords(&name, &ours, &expected_keywords(&fixture["textrank"]));
    }
}

#[test]
fn tagged_tokens_equal_python_posseg_everywhere() {
    for (name, text, fixture) in fixtures() {
        let options = SegmentOptions {
            with_pos: true,
            ..SegmentOptions::default()
        };
        let ours: Vec<(String, String)> = analyzer()
            .segment(&text, &options, Deadline::NONE)
            .unwrap()
            .iter()
            .map(|t| (t.word.to_owned(), t.pos.unwrap_or_default().to_owned()))
            .collect();
        let theirs: Vec<(String, String)> = fixture["pos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn tfidf_with_allowed_pos_matches_python() {
    for (name, text, fixture) in fixtures() {
        let ours = keywords(&text, KeywordMethod::TfIdf, &["n", "ns", "vn"]);
        assert_same_keywords(&name, &ours, &expected_keywords(&fixture["tfidf_nouns"]));
    }
}

#[test]
fn textrank_matches_python_textrank() {
    for (name, text, fixture) in fixtures() {
        let ours = keywords(&text, KeywordMethod::TextRank, &[]);
        assert_same_keywords(&name, &ours, &expected_keywords(&fixture["textrank"]));
    }
}
