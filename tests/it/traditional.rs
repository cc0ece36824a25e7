//! Traditional Chinese: segmentation F1 on the PKU gold standard in Traditional, sentiment on the
//! dev reviews in Traditional, AUTO's detection, the conversion against OpenCC's own, and the
//! script option through every RPC, answered in the text as sent.

use std::path::Path;

use textanalysis::core::classify::ClassifyOptions;
use textanalysis::core::{Deadline, Normalized, Script, SegmentMode, SegmentOptions, Token};
use textanalysis::grpc::pb::{
    self, AnalyzeBatchRequest, AnalyzeRequest, ClassifyRequest, ExtractKeywordsRequest,
    SegmentAnswer, SegmentRequest,
};

use crate::common::{TestServer, analyzer};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each line of a PKU gold file as its words.
fn gold(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("data/pku-1998-01").join(name)).unwrap();
    text.lines()
        .map(|line| {
            line.split("  ")
                .filter(|t| !t.is_empty())
                .map(|t| t.rsplit_once('/').map_or(t, |(word, _)| word).to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
        .collect()
}

/// Word-boundary F1 over character spans, summed over the corpus: `segment` gives each
/// sentence's words.
fn f1(corpus: &[Vec<String>], mut segment: impl FnMut(&str) -> Vec<(usize, usize)>) -> f64 {
    let (mut right, mut found, mut wanted) = (0usize, 0usize, 0usize);
    for words in corpus {
        let mut spans = std::collections::HashSet::new();
        let mut at = 0;
        for w in words {
            let n = w.chars().count();
            spans.insert((at, at + n));
            at += n;
        }
        let predicted = segment(&words.concat());
        right += predicted.iter().filter(|s| spans.contains(s)).count();
        found += predicted.len();
        wanted += spans.len();
    }
    let (p, r) = (right as f64 / found as f64, right as f64 / wanted as f64);
    2.0 * p * r / (p + r)
}

fn spans(tokens: &[Token<'_>]) -> Vec<(usize, usize)> {
    tokens.iter().map(|t| (t.start, t.end)).collect()
}

#[test]
fn traditional_pku_segments_as_well_as_simplified_and_tiles_the_text_sent() {
    let (simplified, traditional) = (gold("gold.txt"), gold("gold-traditional.txt"));
    assert_eq!(simplified.len(), 19_484);
    assert_eq!(traditional.len(), simplified.len());
    let analyzer = analyzer();
    for hmm in [true, false] {
        let options = SegmentOptions {
            hmm,
            ..Default::default()
        };
        let segment = |script| {
            let analyzer = &analyzer;
            move |sentence: &str| {
                let text = Normalized::new(sentence, script);
                let tokens = analyzer.segment(&text, &options, Deadline::NONE).unwrap();
                // PRECISE tokens tile the text sent, each word a slice of it at its offsets.
                assert_eq!(tokens.iter().map(|t| t.word).collect::<String>(), sentence);
                for t in &tokens {
                    assert_eq!(t.word, &sentence[t.byte_start..t.byte_end]);
                }
                spans(&tokens)
            }
        };
        let reference = f1(&simplified, segment(Script::Simplified));
        let as_sent = f1(&traditional, segment(Script::Simplified));
        let converted = f1(&traditional, segment(Script::Traditional));
        let detected = f1(&traditional, segment(Script::Auto));
        eprintln!(
            "HMM {hmm}: F1 Simplified {reference:.4}, Traditional as sent {as_sent:.4}, \
             TRADITIONAL {converted:.4}, AUTO {detected:.4}"
        );
        assert!(converted >= if hmm { 0.80 } else { 0.82 }, "{converted}");
        assert!(
            (converted - reference).abs() <= 0.005,
            "{converted} {reference}"
        );
        assert!(
            (detected - reference).abs() <= 0.005,
            "{detected} {reference}"
        );
        assert!(as_sent < converted - 0.05, "{as_sent}");
    }
}

#[test]
fn auto_detects_traditional_sentences_and_leaves_simplified_ones_as_sent() {
    let join = |corpus: Vec<Vec<String>>| -> Vec<String> {
        corpus.into_iter().map(|words| words.concat()).collect()
    };
    let (simplified, traditional) = (join(gold("gold.txt")), join(gold("gold-traditional.txt")));
    let converted = |text: &str, script| Normalized::new(text, script).converted();
    // Sentences whose Traditional form differs from the Simplified one (the others are the same
    // text either way).
    let differing: Vec<usize> = (0..simplified.len())
        .filter(|&i| simplified[i] != traditional[i])
        .collect();
    let detected = differing
        .iter()
        .filter(|&&i| converted(&traditional[i], Script::Auto))
        .count();
    let false_alarms = simplified
        .iter()
        .filter(|s| converted(s, Script::Auto))
        .count();
    eprintln!(
        "AUTO: {detected} of {} Traditional sentences converted; {false_alarms} of {} \
         Simplified sentences converted",
        differing.len(),
        simplified.len()
    );
    assert!(detected as f64 >= 0.99 * differing.len() as f64);
    assert_eq!(false_alarms, 0);
}

fn reviews(name: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(root().join("data/sentiment").join(name))
        .unwrap()
        .lines()
        .map(|line| {
            let (label, text) = line.split_once('\t').unwrap();
            (label.to_owned(), text.to_owned())
        })
        .collect()
}

fn accuracy(reviews: &[(String, String)], script: Script) -> f64 {
    let analyzer = analyzer();
    let right = reviews
        .iter()
        .filter(|(label, text)| {
            let text = Normalized::new(text, script);
            let c = analyzer
                .classify(&text, &ClassifyOptions::default(), Deadline::NONE)
                .unwrap();
            &c.labels[0].0 == label
        })
        .count();
    right as f64 / reviews.len() as f64
}

#[test]
fn the_default_model_classifies_traditional_reviews_as_well_as_simplified_ones() {
    let (simplified, traditional) = (reviews("dev.tsv"), reviews("dev-traditional.tsv"));
    assert_eq!(simplified.len(), traditional.len());
    let reference = accuracy(&simplified, Script::Simplified);
    let as_sent = accuracy(&traditional, Script::Simplified);
    let converted = accuracy(&traditional, Script::Traditional);
    let detected = accuracy(&traditional, Script::Auto);
    eprintln!(
        "sentiment dev accuracy: Simplified {reference:.4}; Traditional as sent {as_sent:.4}, \
         TRADITIONAL {converted:.4}, AUTO {detected:.4}"
    );
    assert!(
        (converted - reference).abs() <= 0.01,
        "{converted} {reference}"
    );
    assert!(
        (detected - reference).abs() <= 0.01,
        "{detected} {reference}"
    );
}

#[test]
fn the_conversion_is_opencc_t2s() {
    let opencc = opencc_fmmseg::OpenCC::new();
    let mut texts: Vec<String> = gold("gold-traditional.txt")
        .into_iter()
        .map(|words| words.concat())
        .collect();
    texts.extend(reviews("dev-traditional.tsv").into_iter().map(|(_, t)| t));
    let differ: Vec<&String> = texts
        .iter()
        .filter(|t| {
            let ours = Normalized::new(t, Script::Traditional);
            ours.text().analysed() != opencc.t2s(t, false)
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ, first {:?}",
        differ.len(),
        differ.first()
    );
}

/// Every mode, on the differential test's random strings of every character class (ideographs
/// outside the Basic Multilingual Plane, compatibility ideographs, emoji sequences, `\r\n`, …)
/// and on the Traditional reviews: as `TRADITIONAL` and `AUTO`, the tokens are slices of the
/// text sent at their offsets, PRECISE tokens tile it, and the words are those of the converted
/// text's segmentation at the same offsets.
#[test]
fn any_text_as_traditional_is_answered_at_exact_offsets_in_every_mode() {
    let path = root().join("tests/fixtures/jieba-0.42.1-differential/random.jsonl");
    let mut texts: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["text"].as_str().unwrap().to_owned()
        })
        .collect();
    texts.extend(reviews("dev-traditional.tsv").into_iter().map(|(_, t)| t));
    let analyzer = analyzer();
    let modes = [
        (SegmentMode::Precise, true, false),
        (SegmentMode::Precise, false, false),
        (SegmentMode::Precise, true, true),
        (SegmentMode::Full, true, false),
        (SegmentMode::Search, true, false),
    ];
    for text in &texts {
        for script in [Script::Traditional, Script::Auto] {
            let normalized = Normalized::new(text, script);
            let analysed = normalized.text().analysed();
            assert_eq!(analysed.len(), text.len());
            for (mode, hmm, with_pos) in modes {
                let options = SegmentOptions {
                    mode,
                    hmm,
                    with_pos,
                };
                let tokens = analyzer
                    .segment(&normalized, &options, Deadline::NONE)
                    .unwrap();
                let reference = analyzer
                    .segment(analysed, &options, Deadline::NONE)
                    .unwrap();
                assert_eq!(tokens.len(), reference.len(), "{text:?} {options:?}");
                for (t, r) in tokens.iter().zip(&reference) {
                    assert_eq!(
                        (t.start, t.end, t.byte_start, t.byte_end, t.pos),
                        (r.start, r.end, r.byte_start, r.byte_end, r.pos)
                    );
                    assert_eq!(t.word, &text[t.byte_start..t.byte_end]);
                    assert_eq!(
                        t.word.chars().count(),
                        t.end - t.start,
                        "{text:?} {options:?}"
                    );
                }
                if mode == SegmentMode::Precise {
                    assert_eq!(tokens.iter().map(|t| t.word).collect::<String>(), *text);
                }
            }
        }
    }
}

#[tokio::test]
async fn every_rpc_answers_traditional_text_in_the_text_sent() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = "這個國家的頭髮問題很嚴重，我們應該認真對待。產品質量很好，物流也快，非常滿意！";
    let simplified =
        "这个国家的头发问题很严重，我们应该认真对待。产品质量很好，物流也快，非常满意！";
    for script in [pb::Script::Traditional, pb::Script::Auto] {
        let segment = |text: &str, script: pb::Script, answer: SegmentAnswer| SegmentRequest {
            text: text.into(),
            script: script.into(),
            answer: answer.into(),
            ..Default::default()
        };
        let tokens = client
            .segment(segment(text, script, SegmentAnswer::Tokens))
            .await
            .unwrap()
            .into_inner()
            .tokens;
        let reference = client
            .segment(segment(
                simplified,
                pb::Script::Simplified,
                SegmentAnswer::Tokens,
            ))
            .await
            .unwrap()
            .into_inner()
            .tokens;
        // The same cut as the Simplified text's, the words as sent.
        assert_eq!(tokens.len(), reference.len());
        for (t, r) in tokens.iter().zip(&reference) {
            assert_eq!(
                (t.start, t.end, t.byte_start, t.byte_end),
                (r.start, r.end, r.byte_start, r.byte_end)
            );
            assert_eq!(t.word, &text[t.byte_start as usize..t.byte_end as usize]);
        }
        assert!(tokens.iter().any(|t| t.word == "頭髮"));
        let words = client
            .segment(segment(text, script, SegmentAnswer::Words))
            .await
            .unwrap()
            .into_inner()
            .words;
        assert_eq!(
            words,
            tokens.iter().map(|t| t.word.clone()).collect::<Vec<_>>()
        );

        let keywords_of = |text: &str, script: pb::Script| ExtractKeywordsRequest {
            text: text.into(),
            script: script.into(),
            top_k: 5,
            ..Default::default()
        };
        let keywords = client.extract_keywords(keywords_of(text, script));
        let keywords = keywords.await.unwrap().into_inner().keywords;
        let reference = client.extract_keywords(keywords_of(simplified, pb::Script::Simplified));
        let reference = reference.await.unwrap().into_inner().keywords;
        assert_eq!(keywords.len(), reference.len());
        for (k, r) in keywords.iter().zip(&reference) {
            assert!(text.contains(&k.word), "{} is not in the text sent", k.word);
            assert_eq!(k.weight, r.weight);
        }

        let classify_of = |text: &str, script: pb::Script| ClassifyRequest {
            text: text.into(),
            script: script.into(),
            ..Default::default()
        };
        let classified = client.classify(classify_of(text, script));
        let classified = classified.await.unwrap().into_inner();
        let reference = client.classify(classify_of(simplified, pb::Script::Simplified));
        let reference = reference.await.unwrap().into_inner();
        assert_eq!(classified, reference);

        let request = AnalyzeRequest {
            text: text.into(),
            script: script.into(),
            id: "t".into(),
            ..Default::default()
        };
        let analysis = client.analyze(request.clone()).await.unwrap().into_inner();
        assert_eq!(analysis.tokens, tokens);
        assert!((1..=20).contains(&analysis.keywords.len()));
        assert!(analysis.keywords.iter().all(|k| text.contains(&k.word)));
        assert_eq!(analysis.classification, Some(reference));
        let batch = client
            .analyze_batch(AnalyzeBatchRequest {
                documents: vec![request.clone(), request],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(batch.results, vec![analysis.clone(), analysis]);
    }
    // As sent unless asked: the Traditional text's own (worse) cut.
    let as_sent = client
        .segment(SegmentRequest {
            text: text.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(as_sent.iter().all(|t| t.word != "頭髮"));
    server.shutdown().await;
}
