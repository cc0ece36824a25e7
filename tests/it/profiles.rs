//! Named dictionary profiles through every RPC: each request's `profile` picks its dictionary,
//! IDF table and stop words; an unknown name is NOT_FOUND; word edits, reloads, `ListModels`
//! and the metrics address one profile. Each example profile (`examples/profiles/`) answers as
//! Python jieba does after `load_userdict` of its files (fixtures recorded by
//! `scripts/record_jieba_fixtures.py` in `tests/fixtures/jieba-0.42.1-profiles/`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::Value;
use textanalysis::core::{AnalyzerConfig, ProfileSpec, Profiles};
use textanalysis::edge::BearerTokens;
use textanalysis::grpc::pb::{
    AddWordsRequest, AnalyzeBatchRequest, AnalyzeRequest, ClassifyRequest, ExtractKeywordsRequest,
    KeywordMethod, ListModelsRequest, ReloadRequest, Script, SegmentMode, SegmentRequest,
};
use textanalysis::metrics::Format;
use textanalysis::server::Settings;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::common::TestServer;
use crate::dictionary::{ADMIN_TOKEN, admin};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> ProfileSpec {
    ProfileSpec {
        name: name.into(),
        dir: root().join("examples/profiles").join(name),
    }
}

/// A server with the example profiles `medical` and `legal` and the Admin service on, its word
/// edits in `state`.
async fn start(state: &Path) -> TestServer {
    let profiles = Profiles::start(
        &AnalyzerConfig::default(),
        Some(state),
        &[example("medical"), example("legal")],
        8,
    )
    .unwrap();
    TestServer::with_profiles(
        Arc::new(profiles),
        Settings {
            admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
            ..Default::default()
        },
    )
    .await
}

async fn words(server: &TestServer, profile: &str, text: &str, mode: SegmentMode) -> Vec<String> {
    server
        .client()
        .segment(SegmentRequest {
            text: text.into(),
            mode: mode as i32,
            answer: textanalysis::grpc::pb::SegmentAnswer::Words as i32,
            profile: profile.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .words
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

async fn keywords(
    server: &TestServer,
    profile: &str,
    text: &str,
    method: KeywordMethod,
) -> Vec<(String, f64)> {
    server
        .client()
        .extract_keywords(ExtractKeywordsRequest {
            text: text.into(),
            method: method as i32,
            top_k: 50,
            profile: profile.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .keywords
        .into_iter()
        .map(|k| (k.word, k.weight))
        .collect()
}

fn assert_same_keywords(what: &str, ours: &[(String, f64)], theirs: &Value) {
    let theirs: Vec<(String, f64)> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_f64().unwrap()))
        .collect();
    let words = |k: &[(String, f64)]| k.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>();
    assert_eq!(words(ours), words(&theirs), "{what}");
    for ((w, a), (_, b)) in ours.iter().zip(&theirs) {
        assert!((a - b).abs() < 1e-6, "{what}: weight of {w}: {a} vs {b}");
    }
}

#[tokio::test]
async fn each_profile_answers_as_python_jieba_with_its_files() {
    let state = tempfile::tempdir().unwrap();
    let server = start(state.path()).await;
    let mut differences = 0;
    for profile in ["medical", "legal"] {
        let path: PathBuf = root()
            .join("tests/fixtures/jieba-0.42.1-profiles")
            .join(format!("{profile}.json"));
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for entry in fixture.as_array().unwrap() {
            let text = match entry["source"].as_str() {
                Some(source) => std::fs::read_to_string(root().join(source)).unwrap(),
                None => entry["text"].as_str().unwrap().to_owned(),
            };
            let what = |key: &str| {
                format!(
                    "{profile} {key}: {}",
                    text.chars().take(20).collect::<String>()
                )
            };
            let precise = words(&server, profile, &text, SegmentMode::Precise).await;
            assert_eq!(precise, strings(&entry["precise"]), "{}", what("precise"));
            if precise != words(&server, "", &text, SegmentMode::Precise).await {
                differences += 1;
            }
            for (key, mode) in [("full", SegmentMode::Full), ("search", SegmentMode::Search)] {
                if !entry[key].is_null() {
                    let ours = words(&server, profile, &text, mode).await;
                    assert_eq!(ours, strings(&entry[key]), "{}", what(key));
                }
            }
            if !entry["precise_no_hmm"].is_null() {
                let ours = server
                    .client()
                    .segment(SegmentRequest {
                        text: text.clone(),
                        disable_hmm: true,
                        profile: profile.into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner();
                let ours: Vec<String> = ours.tokens.into_iter().map(|t| t.word).collect();
                assert_eq!(
                    ours,
                    strings(&entry["precise_no_hmm"]),
                    "{}",
                    what("no hmm")
                );
            }
            let tagged = server
                .client()
                .segment(SegmentRequest {
                    text: text.clone(),
                    with_pos: true,
                    profile: profile.into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let ours: Vec<Value> = tagged
                .tokens
                .into_iter()
                .map(|t| serde_json::json!([t.word, t.pos]))
                .collect();
            assert_eq!(&Value::Array(ours), &entry["pos"], "{}", what("pos"));
            for (key, method) in [
                ("tfidf", KeywordMethod::Tfidf),
                ("textrank", KeywordMethod::Textrank),
            ] {
                let ours = keywords(&server, profile, &text, method).await;
                assert_same_keywords(&what(key), &ours, &entry[key]);
            }
        }
    }
    // The sentences with a profile's own words (seven of the eight written for the two
    // profiles) segment differently there than in the default profile.
    assert!(differences >= 7, "{differences}");
    server.shutdown().await;
}

const MEDICAL: &str = "患者确诊冠状动脉粥样硬化，行支架植入术后继续服用二甲双胍治疗";

/// How `Segment`, `ExtractKeywords` and `Classify` of [`MEDICAL`] naming `profile` end.
async fn statuses(server: &TestServer, profile: &str) -> Vec<Result<(), Status>> {
    let (mut client, text, profile) = (server.client(), MEDICAL.to_owned(), profile.to_owned());
    vec![
        client
            .segment(SegmentRequest {
                text: text.clone(),
                profile: profile.clone(),
                ..Default::default()
            })
            .await
            .map(drop),
        client
            .extract_keywords(ExtractKeywordsRequest {
                text: text.clone(),
                profile: profile.clone(),
                ..Default::default()
            })
            .await
            .map(drop),
        client
            .classify(ClassifyRequest {
                text,
                profile,
                ..Default::default()
            })
            .await
            .map(drop),
    ]
}

#[tokio::test]
async fn every_rpc_takes_a_profile_and_an_unknown_one_is_not_found() {
    let state = tempfile::tempdir().unwrap();
    let server = start(state.path()).await;
    let precise = SegmentMode::Precise;
    assert!(
        words(&server, "medical", MEDICAL, precise)
            .await
            .contains(&"二甲双胍".to_owned())
    );
    for default in ["", "default"] {
        let ours = words(&server, default, MEDICAL, precise).await;
        assert!(!ours.contains(&"二甲双胍".to_owned()), "{default:?}");
    }

    // A Traditional text in a profile: analysed in Simplified form with the profile's words,
    // answered in the text as sent.
    let traditional = server
        .client()
        .segment(SegmentRequest {
            text: "患者服用二甲雙胍".into(),
            script: Script::Traditional as i32,
            profile: "medical".into(),
            answer: textanalysis::grpc::pb::SegmentAnswer::Words as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .words;
    assert_eq!(traditional, ["患者", "服用", "二甲雙胍"]);

    for status in statuses(&server, "medical").await {
        assert!(status.is_ok(), "{status:?}");
    }
    for status in statuses(&server, "finance").await {
        let status = status.unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        assert!(
            status.message().contains("`finance`")
                && status.message().contains("default, legal, medical"),
            "{}",
            status.message()
        );
        let info = status.get_details_resource_info().unwrap();
        assert_eq!(
            (info.resource_type.as_str(), info.resource_name.as_str()),
            ("profile", "finance")
        );
    }
    for status in statuses(&server, &"x".repeat(65)).await {
        assert_eq!(status.unwrap_err().code(), Code::InvalidArgument);
    }

    // The profile's stop words leave its keywords; the default keeps them.
    let medical = keywords(&server, "medical", MEDICAL, KeywordMethod::Tfidf).await;
    let default = keywords(&server, "", MEDICAL, KeywordMethod::Tfidf).await;
    let has = |k: &[(String, f64)], w: &str| k.iter().any(|(word, _)| word == w);
    assert!(!has(&medical, "患者") && has(&default, "患者"));

    // A batch mixes profiles; an unknown one fails only its document.
    let document = |id: &str, profile: &str| AnalyzeRequest {
        text: MEDICAL.into(),
        id: id.into(),
        profile: profile.into(),
        segment: Some(Default::default()),
        ..Default::default()
    };
    let words_of = |r: &textanalysis::grpc::pb::AnalyzeResponse| {
        r.tokens.iter().map(|t| t.word.clone()).collect::<Vec<_>>()
    };
    let batch = server
        .client()
        .analyze_batch(AnalyzeBatchRequest {
            documents: vec![
                document("a", "medical"),
                document("b", ""),
                document("c", "finance"),
                document("d", "legal"),
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert!(words_of(&batch[0]).contains(&"二甲双胍".to_owned()));
    assert!(!words_of(&batch[1]).contains(&"二甲双胍".to_owned()));
    let error = batch[2].error.as_ref().unwrap();
    assert_eq!(
        (batch[2].id.as_str(), error.code),
        ("c", Code::NotFound as i32)
    );
    assert_eq!(words_of(&batch[3]), words_of(&batch[1]));

    let stream = futures_util::stream::iter(vec![
        document("a", "medical"),
        document("c", "finance"),
        document("b", ""),
    ]);
    let answers: Vec<_> = server
        .client()
        .analyze_stream(stream)
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(words_of(&answers[0]).contains(&"二甲双胍".to_owned()));
    assert_eq!(
        answers[1].error.as_ref().unwrap().code,
        Code::NotFound as i32
    );
    assert_eq!(words_of(&answers[2]), words_of(&batch[1]));

    let single = server
        .client()
        .analyze(document("x", "medical"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(words_of(&single), words_of(&batch[0]));
    server.shutdown().await;
}

#[tokio::test]
async fn word_edits_reloads_list_models_and_metrics_address_one_profile() {
    let state = tempfile::tempdir().unwrap();
    let server = start(state.path()).await;
    let text = "法院审理无因管理纠纷时适用诉讼时效";
    let before = words(&server, "legal", text, SegmentMode::Precise).await;
    assert!(before.contains(&"无因管理".to_owned()));

    let edited = admin(&server, ADMIN_TOKEN)
        .add_words(AddWordsRequest {
            words: vec![textanalysis::grpc::pb::WordEntry {
                word: "纠纷时".into(),
                freq: Some(100_000),
                tag: String::new(),
            }],
            profile: "legal".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .dictionary
        .unwrap();
    assert_eq!(
        (
            edited.profile.as_str(),
            edited.generation,
            edited.added_words
        ),
        ("legal", 2, 1)
    );
    assert!(
        words(&server, "legal", text, SegmentMode::Precise)
            .await
            .contains(&"纠纷时".to_owned())
    );
    for other in ["", "medical"] {
        let theirs = words(&server, other, text, SegmentMode::Precise).await;
        assert!(!theirs.contains(&"纠纷时".to_owned()), "{other}");
    }
    assert!(
        state
            .path()
            .join("profiles/legal/word-edits.state")
            .exists()
    );

    let status = admin(&server, ADMIN_TOKEN)
        .reload(ReloadRequest {
            profile: "finance".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let reloaded = admin(&server, ADMIN_TOKEN)
        .reload(ReloadRequest {
            profile: "medical".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .dictionary
        .unwrap();
    assert_eq!(
        (reloaded.profile.as_str(), reloaded.generation),
        ("medical", 2)
    );

    let listed = server
        .client()
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = listed.profiles.iter().map(|p| p.profile.as_str()).collect();
    assert_eq!(names, ["default", "legal", "medical"]);
    assert_eq!(listed.dictionary.as_ref(), listed.profiles.first());
    let legal = &listed.profiles[1];
    assert_eq!((legal.generation, legal.added_words), (2, 1));
    assert_eq!(legal.files.len(), 2, "legal.dict and idf.txt");
    assert!(
        legal
            .files
            .iter()
            .any(|f| f.path.ends_with("legal/idf.txt"))
    );
    let versions: std::collections::HashSet<&str> = listed
        .profiles
        .iter()
        .map(|p| p.content_version.as_str())
        .collect();
    assert_eq!(
        versions.len(),
        3,
        "each profile has its own content version"
    );

    let page = server.metrics.encode(Format::Classic);
    for line in [
        r#"textanalysis_dictionary_generation{profile="legal"} 2"#,
        r#"textanalysis_dictionary_generation{profile="medical"} 2"#,
        r#"textanalysis_dictionary_generation{profile="default"} 1"#,
        r#"textanalysis_dictionary_word_edits{profile="legal",edit="added"} 1"#,
        r#"textanalysis_dictionary_changes_total{profile="legal",change="add_words",result="ok"} 1"#,
        r#"textanalysis_dictionary_files_failing{profile="medical"} 0"#,
    ] {
        assert!(page.contains(line), "{line} missing from\n{page}");
    }
    let serving = page
        .lines()
        .filter(|l| l.starts_with("textanalysis_serving_info{"))
        .count();
    assert_eq!(serving, 3, "{page}");
    server.shutdown().await;
}
