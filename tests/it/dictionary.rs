//! Dictionaries that change while serving: custom IDF and stop words, reload, run-time word
//! edits through the Admin service, and its guard. Real server, generated clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use crate::common::TestServer;
use textanalysis::core::{AnalyzerConfig, LiveAnalyzer, Profiles};
use textanalysis::edge::BearerTokens;
use textanalysis::grpc::pb::admin_client::AdminClient;
use textanalysis::grpc::pb::{
    AddWordsRequest, AnalyzeRequest, ExtractKeywordsRequest, KeywordOptions, ListModelsRequest,
    ReloadRequest, RemoveWordsRequest, SegmentOptions, SegmentRequest, WordEntry,
};
use textanalysis::metrics::Metrics;
use textanalysis::server::Settings;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

pub(crate) const ADMIN_TOKEN: &str = "admin-secret-token";
const CLIENT_TOKEN: &str = "client-secret-token";

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub(crate) struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    fn new(token: &str) -> Self {
        Self(format!("Bearer {token}").parse().unwrap())
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub(crate) type Admin = AdminClient<InterceptedService<Channel, Bearer>>;

pub(crate) fn admin(server: &TestServer, token: &str) -> Admin {
    AdminClient::with_interceptor(server.channel.clone(), Bearer::new(token))
}

/// A server over `config` (and the profiles its dictionary directory holds) with its state in
/// `state_dir`, and the Admin service on.
pub(crate) async fn start(config: AnalyzerConfig, state_dir: Option<&Path>) -> TestServer {
    start_counted(config, state_dir).await.0
}

/// [`start`], with the server's metrics.
pub(crate) async fn start_counted(
    config: AnalyzerConfig,
    state_dir: Option<&Path>,
) -> (TestServer, Arc<Metrics>) {
    let profiles = Profiles::start(&config, state_dir, &[], 8).unwrap();
    let server = TestServer::with_profiles(
        Arc::new(profiles),
        Settings {
            admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
            ..Default::default()
        },
    )
    .await;
    let metrics = Arc::clone(&server.metrics);
    (server, metrics)
}

pub(crate) async fn words(server: &TestServer, text: &str) -> Vec<String> {
    crate::common::segment_words(server.channel.clone(), text).await
}

async fn keywords(server: &TestServer, text: &str) -> Vec<String> {
    server
        .client()
        .extract_keywords(ExtractKeywordsRequest {
            text: text.into(),
            top_k: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .keywords
        .into_iter()
        .map(|k| k.word)
        .collect()
}

async fn generation(server: &TestServer) -> u64 {
    crate::common::dictionary_info(server.channel.clone())
        .await
        .generation
}

const POLICY: &str = "人工智能发展需要政策支持。人工智能产业发展迅速，政策环境不断完善。";

#[tokio::test]
async fn a_custom_idf_table_and_stop_words_each_change_the_keywords() {
    let tmp = crate::common::temp_dir("keywords");
    let dir = tmp.path();
    let builtin = start(AnalyzerConfig::default(), None).await;
    let before = keywords(&builtin, POLICY).await;
    assert_eq!(before[0], "人工智能", "{before:?}");
    assert!(before.contains(&"政策".to_owned()), "{before:?}");

    // Median IDF 1 (words missing from the table), 政策 100: 政策 leads.
    let idf = write(dir, "idf.txt", "政策 100\n人工智能 1\n发展 1\n");
    let idf_config = AnalyzerConfig {
        idf: Some(idf.clone()),
        ..Default::default()
    };
    let with_idf = start(idf_config, None).await;
    assert_eq!(keywords(&with_idf, POLICY).await[0], "政策");

    let stop = write(dir, "stop.txt", "人工智能\n");
    let stop_config = AnalyzerConfig {
        stop_words: Some(stop),
        ..Default::default()
    };
    let with_stop = start(stop_config, None).await;
    let after = keywords(&with_stop, POLICY).await;
    assert!(!after.contains(&"人工智能".to_owned()), "{after:?}");
    assert_eq!(after[0], before[1]);

    // ListModels names both files with their hashes.
    let info = crate::common::dictionary_info(with_idf.channel.clone()).await;
    assert_eq!(info.generation, 1);
    assert_eq!(info.files.len(), 1);
    assert_eq!(info.files[0].path, idf.display().to_string());
    assert_eq!(info.files[0].entries, 3);
    assert_eq!(info.files[0].content_hash.len(), 64);
    assert_eq!(info.builtin_content_hash.len(), 64);
    for server in [builtin, with_idf, with_stop] {
        server.shutdown().await;
    }
}

#[tokio::test]
async fn admin_is_unimplemented_without_an_admin_token_and_guarded_with_one() {
    let off = TestServer::start().await;
    let err = admin(&off, ADMIN_TOKEN)
        .reload(ReloadRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
    off.shutdown().await;

    // Client tokens and the admin token open different doors.
    let live = LiveAnalyzer::start(AnalyzerConfig::default(), None).unwrap();
    let on = TestServer::with_live(
        Arc::new(live),
        Settings {
            admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
            auth: BearerTokens::load(None, Some(CLIENT_TOKEN)).unwrap(),
            ..Default::default()
        },
    )
    .await;
    for token in ["", CLIENT_TOKEN, "admin-secret-toke"] {
        let err = admin(&on, token)
            .reload(ReloadRequest::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{token}: {err:?}");
    }
    let reloaded = admin(&on, ADMIN_TOKEN)
        .reload(ReloadRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reloaded.dictionary.unwrap().generation, 2);
    let mut as_admin =
        textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient::with_interceptor(
            on.channel.clone(),
            Bearer::new(ADMIN_TOKEN),
        );
    let err = as_admin
        .list_models(ListModelsRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    on.shutdown().await;
}

#[tokio::test]
async fn word_edits_change_segmentation_at_once_and_are_saved() {
    let tmp = crate::common::temp_dir("edits");
    let dir = tmp.path();
    let server = start(AnalyzerConfig::default(), Some(dir)).await;
    let mut admin = admin(&server, ADMIN_TOKEN);
    let text = "我来到北京清华大学参加云原生大会";
    let before = words(&server, text).await;
    assert!(before.contains(&"清华大学".to_owned()), "{before:?}");
    assert!(!before.contains(&"云原生".to_owned()), "{before:?}");

    let added = admin
        .add_words(AddWordsRequest {
            profile: String::new(),
            words: vec![WordEntry {
                word: "云原生".into(),
                freq: None,
                tag: "nz".into(),
            }],
        })
        .await
        .unwrap()
        .into_inner();
    let info = added.dictionary.unwrap();
    assert_eq!((info.generation, info.added_words), (2, 1));
    let after_add = words(&server, text).await;
    assert!(after_add.contains(&"云原生".to_owned()), "{after_add:?}");

    // Tagged as given.
    let tagged = server
        .client()
        .segment(SegmentRequest {
            text: text.into(),
            with_pos: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let token = tagged.tokens.iter().find(|t| t.word == "云原生").unwrap();
    assert_eq!(token.pos, "nz");

    // Removing a word of jieba's dictionary: there is no del_word in jieba-rs, the segmenter is
    // rebuilt without it.
    let removed = admin
        .remove_words(RemoveWordsRequest {
            profile: String::new(),
            words: vec!["清华大学".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .dictionary
        .unwrap();
    assert_eq!((removed.generation, removed.removed_words), (3, 1));
    let after_remove = words(&server, text).await;
    assert!(
        !after_remove.contains(&"清华大学".to_owned()),
        "{after_remove:?}"
    );
    assert!(after_remove.contains(&"云原生".to_owned()));
    // Full and search modes lose it too.
    for mode in [1, 2] {
        let tokens = server
            .client()
            .segment(SegmentRequest {
                text: text.into(),
                mode,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .tokens;
        assert!(tokens.iter().all(|t| t.word != "清华大学"), "mode {mode}");
    }

    // The state file holds both edits; a new server over the same directory has them.
    let saved = std::fs::read_to_string(dir.join("word-edits.state")).unwrap();
    assert!(saved.contains("add\t云原生\t-\tnz\n") && saved.contains("remove\t清华大学\n"));
    server.shutdown().await;
    let restarted = start(AnalyzerConfig::default(), Some(dir)).await;
    assert_eq!(words(&restarted, text).await, after_remove);
    restarted.shutdown().await;
}

fn violations(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

fn entry(word: &str, freq: Option<u64>, tag: &str) -> WordEntry {
    WordEntry {
        word: word.into(),
        freq,
        tag: tag.into(),
    }
}

#[tokio::test]
async fn every_rejected_edit_names_its_entry_and_applies_nothing() {
    let tmp = crate::common::temp_dir("rejected");
    let dir = tmp.path();
    let server = start(AnalyzerConfig::default(), Some(dir)).await;
    let mut admin = admin(&server, ADMIN_TOKEN);

    let err = admin
        .add_words(AddWordsRequest {
            profile: String::new(),
            words: vec![
                entry("好词语", Some(5), "n"),
                entry("", None, ""),
                entry("两 个", None, ""),
                entry("换\n行", None, ""),
                entry("控\u{0}制", None, ""),
                entry(&"长".repeat(65), None, ""),
                entry("零频", Some(0), ""),
                entry("高频", Some(1_000_000_000), ""),
                entry("标签", None, "n n"),
                entry("标签二", None, "名词"),
            ],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(
        violations(&err),
        [
            "words[1].word",
            "words[2].word",
            "words[3].word",
            "words[4].word",
            "words[5].word",
            "words[6].freq",
            "words[7].freq",
            "words[8].tag",
            "words[9].tag",
        ]
    );
    let err = admin
        .remove_words(RemoveWordsRequest {
            profile: String::new(),
            words: vec!["好".into(), " ".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&err), ["words[1]"]);
    for request in [
        AddWordsRequest {
            profile: String::new(),
            words: vec![],
        },
        AddWordsRequest {
            profile: String::new(),
            words: vec![entry("词", None, ""); 1001],
        },
    ] {
        let err = admin.add_words(request).await.unwrap_err();
        assert_eq!(violations(&err), ["words"]);
    }
    // Nothing applied, nothing saved.
    assert_eq!(generation(&server).await, 1);
    assert!(
        !words(&server, "好词语")
            .await
            .contains(&"好词语".to_owned())
    );
    assert!(!dir.join("word-edits.state").exists());
    server.shutdown().await;

    // Without a state directory, edits would not survive a restart: refused.
    let stateless = start(AnalyzerConfig::default(), None).await;
    let err = admin_of(&stateless)
        .add_words(AddWordsRequest {
            profile: String::new(),
            words: vec![entry("词语", None, "")],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("--state-dir"), "{}", err.message());
    stateless.shutdown().await;
}

fn admin_of(server: &TestServer) -> Admin {
    admin(server, ADMIN_TOKEN)
}

#[tokio::test]
async fn reload_reads_edited_files_and_a_bad_file_keeps_the_old_analyzer() {
    let tmp = crate::common::temp_dir("reload");
    let dir = tmp.path();
    let dict = write(dir, "user.dict", "云原生 5 nz\n");
    let idf = write(dir, "idf.txt", "政策 100\n人工智能 1\n发展 1\n");
    let (server, metrics) = start_counted(
        AnalyzerConfig {
            user_dicts: vec![dict.clone()],
            idf: Some(idf.clone()),
            ..Default::default()
        },
        Some(dir),
    )
    .await;
    let mut admin = admin_of(&server);
    assert!(words(&server, "服务网格很好").await.len() > 2);

    std::fs::write(&dict, "云原生 5 nz\n服务网格 5 nz\n").unwrap();
    let reloaded = admin
        .reload(ReloadRequest::default())
        .await
        .unwrap()
        .into_inner();
    let info = reloaded.dictionary.unwrap();
    assert_eq!(info.generation, 2);
    assert_eq!(info.files[0].entries, 2);
    assert_eq!(words(&server, "服务网格很好").await[0], "服务网格");

    // A malformed IDF table: FAILED_PRECONDITION naming file and line; the old analyzer serves.
    std::fs::write(&idf, "政策 100\n人工智能 many\n").unwrap();
    let err = admin.reload(ReloadRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("idf.txt:2"), "{}", err.message());
    assert_eq!(generation(&server).await, 2);
    assert_eq!(keywords(&server, POLICY).await[0], "政策");
    let page = metrics.encode(textanalysis::metrics::Format::Classic);
    for expected in [
        r#"textanalysis_dictionary_changes_total{profile="default",change="reload",result="ok"} 1"#,
        r#"textanalysis_dictionary_changes_total{profile="default",change="reload",result="error"} 1"#,
        r#"textanalysis_dictionary_generation{profile="default"} 2"#,
        r#"textanalysis_dictionary_file_entries{profile="default",kind="UserDict""#,
    ] {
        assert!(page.contains(expected), "missing {expected} in:\n{page}");
    }
    server.shutdown().await;
}

/// Calls run in a loop from several clients while the analyzer is reloaded and edited again
/// and again: every call must succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_call_fails_while_reloads_and_edits_swap_the_analyzer() {
    let tmp = crate::common::temp_dir("under-load");
    let dir = tmp.path();
    let dict = write(dir, "user.dict", "云原生 5 nz\n");
    let server = start(
        AnalyzerConfig {
            user_dicts: vec![dict],
            ..Default::default()
        },
        Some(dir),
    )
    .await;
    let long: String = std::fs::read_to_string("seeds/000_0d2741181010ae04.txt")
        .unwrap()
        .chars()
        .take(3000)
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let answered = Arc::new(tokio::sync::Notify::new());
    // Each swap happens only once the clients have made a few calls since the last one.
    let calls_made = |more: usize| {
        let (calls, answered) = (Arc::clone(&calls), Arc::clone(&answered));
        let target = calls.load(Ordering::SeqCst) + more;
        crate::common::within_limit("calls between swaps", async move {
            loop {
                let notified = answered.notified();
                if calls.load(Ordering::SeqCst) >= target {
                    return;
                }
                notified.await;
            }
        })
    };
    let mut clients = Vec::new();
    for i in 0..4 {
        let mut client = server.client();
        let (stop, calls, failures) = (stop.clone(), calls.clone(), failures.clone());
        let answered = Arc::clone(&answered);
        let text = if i % 2 == 0 {
            "我来到北京清华大学参加云原生大会".to_owned()
        } else {
            long.clone()
        };
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let result = client
                    .analyze(AnalyzeRequest {
                        text: text.clone(),
                        segment: Some(SegmentOptions::default()),
                        keywords: Some(KeywordOptions::default()),
                        ..Default::default()
                    })
                    .await;
                calls.fetch_add(1, Ordering::SeqCst);
                answered.notify_waiters();
                if let Err(status) = result {
                    eprintln!("failed during a swap: {status:?}");
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut admin = admin_of(&server);
    let mut times = Vec::new();
    const RELOADS: u64 = 6;
    for round in 0..RELOADS {
        calls_made(20).await;
        let started = Instant::now();
        match round % 3 {
            0 => drop(admin.reload(ReloadRequest::default()).await.unwrap()),
            1 => drop(
                admin
                    .add_words(AddWordsRequest {
                        profile: String::new(),
                        words: vec![entry(&format!("新词{round}"), None, "")],
                    })
                    .await
                    .unwrap(),
            ),
            _ => drop(
                admin
                    .remove_words(RemoveWordsRequest {
                        profile: String::new(),
                        words: vec!["清华大学".into()],
                    })
                    .await
                    .unwrap(),
            ),
        }
        times.push(started.elapsed());
    }
    calls_made(20).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let (calls, failures) = (
        calls.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed),
    );
    eprintln!("{RELOADS} swaps under load: {calls} calls, {failures} failed; swap times {times:?}");
    assert_eq!(failures, 0);
    assert!(calls > 4 * RELOADS as usize, "{calls} calls");
    assert_eq!(generation(&server).await, 1 + RELOADS);
    server.shutdown().await;
}
