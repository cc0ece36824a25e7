//! A dictionary per tenant: a thousand profiles in one server process (profiles are overlays
//! over one shared built-in dictionary, so each costs what it adds; the real binary, its memory
//! read from `/proc`), and profiles created and removed through `Admin` while a fleet of two
//! replicas sharing a dictionary directory serves.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use textanalysis::core::{AnalyzerConfig, Profiles};
use textanalysis::edge::BearerTokens;
use textanalysis::grpc::pb::{
    AddWordsRequest, CreateProfileRequest, ListProfilesRequest, RemoveProfileRequest,
    SegmentRequest, WordEntry,
};
use textanalysis::metrics::Format;
use textanalysis::server::Settings;
use tonic::Code;

use crate::binary::Running;
use crate::common::{TestServer, segment_words_in, temp_dir};
use crate::dictionary::{ADMIN_TOKEN, admin};
use crate::hostile::rss;

/// How many named profiles, and words of its own each has.
const PROFILES: usize = 1000;
const WORDS: usize = 1000;

/// The most a server with the profiles may hold resident (the issue's target; the built-in
/// data, models and runtime take about 70 MB of it).
const MAX_RSS: u64 = 600 << 20;

/// The built-in dictionary's two-character words, of which the tenants' words are made.
fn two_character_words() -> Vec<String> {
    let dict = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jieba/dict.txt"),
    )
    .unwrap();
    dict.lines()
        .filter_map(|l| l.split_ascii_whitespace().next())
        .filter(|w| w.chars().count() == 2)
        .map(String::from)
        .collect()
}

/// Word `k` of all the tenants' words: two built-in words joined (as bench/profiles.sh makes
/// them), a compound a tenant's vocabulary might hold.
fn word(two: &[String], k: usize) -> String {
    let n = two.len();
    format!(
        "{}{}",
        two[k * 7919 % n],
        two[(k * 104_729 + k / WORDS) % n]
    )
}

/// Profile `p`'s name.
fn name(p: usize) -> String {
    format!("tenant-{p:04}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_profiles_of_a_thousand_words_each_serve_in_one_process() {
    let two = two_character_words();
    let dir = temp_dir("tenants");
    let profiles = dir.path().join("dict/profiles");
    for p in 0..PROFILES {
        let profile = profiles.join(name(p));
        std::fs::create_dir_all(&profile).unwrap();
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(profile.join("words.dict")).unwrap());
        for w in 0..WORDS {
            // Every tenth word without a frequency: the dictionary suggests one.
            if w % 10 == 0 {
                writeln!(file, "{}", word(&two, p * WORDS + w)).unwrap();
            } else {
                writeln!(file, "{} {} nz", word(&two, p * WORDS + w), 10 + w % 90).unwrap();
            }
        }
        file.flush().unwrap();
    }
    let started = Instant::now();
    let dict = dir.path().join("dict");
    let state = dir.path().join("state");
    let running = Running::start(
        &[
            "--dictionary-dir",
            dict.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
        ],
        &[],
    );
    let serving_after = started.elapsed();
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();

    // Each tenant keeps its own words whole, and only its own.
    for p in [0, 1, PROFILES / 2, PROFILES - 1] {
        for w in [0, 7, WORDS - 1] {
            let own = word(&two, p * WORDS + w);
            let text = format!("我们在{own}里开会");
            let words = segment_words_in(channel.clone(), &name(p), &text).await;
            assert!(words.contains(&own), "{}: {words:?}", name(p));
            let other = (p + 1) % PROFILES;
            let words = segment_words_in(channel.clone(), &name(other), &text).await;
            assert!(!words.contains(&own), "{}: {words:?}", name(other));
            let words = segment_words_in(channel.clone(), "", &text).await;
            assert!(!words.contains(&own), "default: {words:?}");
        }
    }
    // The built-in words are every tenant's too.
    let words = segment_words_in(channel.clone(), &name(3), "我来到北京清华大学").await;
    assert_eq!(words, ["我", "来到", "北京", "清华大学"]);

    let resident = rss(running.child.id());
    eprintln!(
        "{PROFILES} profiles of {WORDS} words: serving after {serving_after:?}, RSS {} MB",
        resident >> 20
    );
    assert!(
        resident <= MAX_RSS,
        "RSS {} MB with {PROFILES} profiles (at most {} MB)",
        resident >> 20,
        MAX_RSS >> 20
    );
}

/// Waits (up to 10 s) until `check` holds, polling; the time it took.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) -> std::time::Duration {
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// Two replicas sharing a dictionary directory (and state directory), as a fleet does; the
/// Admin service on.
async fn fleet(dir: &std::path::Path) -> (TestServer, TestServer) {
    let config = AnalyzerConfig {
        dictionary_dir: Some(dir.join("dict")),
        ..AnalyzerConfig::default()
    };
    std::fs::create_dir_all(dir.join("dict")).unwrap();
    let state = dir.join("state");
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let profiles = Profiles::start(&config, Some(&state), &[], 3).unwrap();
        replicas.push(
            TestServer::with_profiles(
                Arc::new(profiles),
                Settings {
                    admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
                    ..Default::default()
                },
            )
            .await,
        );
    }
    let b = replicas.pop().unwrap();
    (replicas.pop().unwrap(), b)
}

fn entry(word: &str) -> WordEntry {
    WordEntry {
        word: word.into(),
        freq: None,
        tag: "nz".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_created_through_one_replica_is_served_by_the_other_and_removed_from_both() {
    let dir = temp_dir("tenants-fleet");
    let (a, b) = fleet(dir.path()).await;
    let text = "云原生数据湖正在改变数据分析";
    let words = |server: &TestServer, profile: &str| {
        let channel = server.channel.clone();
        let profile = profile.to_owned();
        async move { segment_words_in(channel, &profile, text).await }
    };
    let created = admin(&a, ADMIN_TOKEN)
        .create_profile(CreateProfileRequest {
            profile: "acme".into(),
            words: vec![entry("云原生数据湖"), entry("数据分析")],
        })
        .await
        .unwrap()
        .into_inner();
    let info = created.dictionary.unwrap();
    assert_eq!(info.profile, "acme");
    assert!(dir.path().join("dict/profiles/acme/words.dict").is_file());
    // Served at once by the replica that made it, within a watch interval or two by the other.
    assert_eq!(
        words(&a, "acme").await,
        ["云原生数据湖", "正在", "改变", "数据分析"]
    );
    let waited = until("the other replica serves acme", async || {
        let client = b.client();
        let request = SegmentRequest {
            text: text.into(),
            profile: "acme".into(),
            ..Default::default()
        };
        client_words(client, request).await == ["云原生数据湖", "正在", "改变", "数据分析"]
    })
    .await;
    eprintln!("the other replica served the new profile after {waited:?}");
    for replica in [&a, &b] {
        let page = replica.metrics.encode(Format::Classic);
        assert!(
            page.contains("textanalysis_dictionary_profiles 2"),
            "{page}"
        );
        assert!(
            page.contains(r#"textanalysis_dictionary_generation{profile="acme"} 1"#),
            "{page}"
        );
    }
    assert!(waited < std::time::Duration::from_secs(2), "{waited:?}");
    assert_ne!(words(&b, "").await, words(&b, "acme").await);

    // Listed by both, the default profile first, with one version over the set.
    let mut versions = Vec::new();
    for replica in [&a, &b] {
        let listed = admin(replica, ADMIN_TOKEN)
            .list_profiles(ListProfilesRequest {})
            .await
            .unwrap()
            .into_inner();
        let names: Vec<&str> = listed.profiles.iter().map(|p| p.profile.as_str()).collect();
        assert_eq!(names, ["default", "acme"]);
        versions.push(listed.profiles_version);
    }
    assert_eq!(versions[0], versions[1]);

    // Word edits go to the profile on every replica.
    admin(&b, ADMIN_TOKEN)
        .add_words(AddWordsRequest {
            words: vec![entry("正在改变")],
            profile: "acme".into(),
        })
        .await
        .unwrap();
    until("the first replica serves the edit", async || {
        words(&a, "acme").await.contains(&"正在改变".to_owned())
    })
    .await;

    // Refusals.
    let again = admin(&b, ADMIN_TOKEN)
        .create_profile(CreateProfileRequest {
            profile: "acme".into(),
            words: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    for (name, code) in [
        ("bad name!", Code::InvalidArgument),
        ("default", Code::InvalidArgument),
    ] {
        let status = admin(&a, ADMIN_TOKEN)
            .create_profile(CreateProfileRequest {
                profile: name.into(),
                words: vec![],
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{name}: {status:?}");
    }
    let bad_word = admin(&a, ADMIN_TOKEN)
        .create_profile(CreateProfileRequest {
            profile: "words".into(),
            words: vec![entry("两个 词")],
        })
        .await
        .unwrap_err();
    assert_eq!(bad_word.code(), Code::InvalidArgument);
    assert!(bad_word.message().contains("words[0].word"), "{bad_word:?}");
    for name in ["b1", "b2"] {
        admin(&a, ADMIN_TOKEN)
            .create_profile(CreateProfileRequest {
                profile: name.into(),
                words: vec![],
            })
            .await
            .unwrap();
    }
    let full = admin(&a, ADMIN_TOKEN)
        .create_profile(CreateProfileRequest {
            profile: "b3".into(),
            words: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(full.code(), Code::ResourceExhausted, "{full:?}");
    assert!(full.message().contains("--max-profiles"), "{full:?}");
    let default = admin(&a, ADMIN_TOKEN)
        .remove_profile(RemoveProfileRequest {
            profile: "default".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(default.code(), Code::FailedPrecondition);

    // A restart serves what the directory holds.
    let config = AnalyzerConfig {
        dictionary_dir: Some(dir.path().join("dict")),
        ..AnalyzerConfig::default()
    };
    let restarted = Profiles::start(&config, Some(&dir.path().join("state")), &[], 3).unwrap();
    let acme = restarted.get("acme").unwrap().current();
    assert!(acme.has_word("云原生数据湖") && acme.has_word("正在改变"));

    // Removed through the other replica: a call running on it finishes, new calls are
    // NOT_FOUND on both replicas, and its directory and word edits are gone.
    let long = "云原生数据湖正在改变数据分析。".repeat(20_000);
    let running = {
        let client = a.client();
        tokio::spawn(async move {
            client_words(
                client,
                SegmentRequest {
                    text: long,
                    profile: "acme".into(),
                    ..Default::default()
                },
            )
            .await
        })
    };
    a.wait_for_in_flight(1).await;
    admin(&b, ADMIN_TOKEN)
        .remove_profile(RemoveProfileRequest {
            profile: "acme".into(),
        })
        .await
        .unwrap();
    // 云原生数据湖 正在改变 数据分析 。
    assert_eq!(running.await.unwrap().len(), 20_000 * 4);
    assert!(!dir.path().join("dict/profiles/acme").exists());
    let page = b.metrics.encode(Format::Classic);
    assert!(!page.contains(r#"profile="acme""#), "{page}");
    assert!(!dir.path().join("state/profiles/acme").exists());
    let gone = b
        .client()
        .segment(SegmentRequest {
            text: text.into(),
            profile: "acme".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    until("the first replica drops acme", async || {
        a.client()
            .segment(SegmentRequest {
                text: text.into(),
                profile: "acme".into(),
                ..Default::default()
            })
            .await
            .is_err_and(|s| s.code() == Code::NotFound)
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

async fn client_words(
    mut client: textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient<
        tonic::transport::Channel,
    >,
    request: SegmentRequest,
) -> Vec<String> {
    client
        .segment(request)
        .await
        .map(|r| r.into_inner().tokens.into_iter().map(|t| t.word).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_from_grpcurl_and_curl_as_the_readme_shows() {
    use crate::grpcurl::{grpcurl, ok_json};
    use crate::http::curl;
    const README: &str = include_str!("../../README.md");
    let dir = temp_dir("tenants-readme");
    let config = AnalyzerConfig {
        dictionary_dir: Some(dir.path().to_path_buf()),
        ..AnalyzerConfig::default()
    };
    let profiles = Profiles::start(&config, None, &[], 1000).unwrap();
    let server = Arc::new(
        TestServer::with_profiles(
            Arc::new(profiles),
            Settings {
                admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
                profile_metrics: false,
                ..Default::default()
            },
        )
        .await,
    );
    let s = Arc::clone(&server);
    tokio::task::spawn_blocking(move || {
        let server = &*s;
        let bearer = format!("authorization: Bearer {ADMIN_TOKEN}");
        let create = r#"{"profile":"acme","words":[{"word":"云原生数据湖","tag":"nz"}]}"#;
        let segment = r#"{"text":"云原生数据湖正在改变数据分析","profile":"acme"}"#;
        let remove = r#"{"profile":"acme"}"#;
        for line in [
            format!(r#"grpcurl -plaintext -H "authorization: Bearer $T" -d '{create}' \"#),
            format!(r#"curl -H "authorization: Bearer $T" -d '{create}' \"#),
            format!("grpcurl -plaintext -d '{segment}' \\"),
            format!("curl -d '{segment}' localhost:50051/v1/segment"),
            r#"grpcurl -plaintext -H "authorization: Bearer $T" localhost:50051 textanalysis.v1.Admin/ListProfiles"#.to_owned(),
            r#"curl -H "authorization: Bearer $T" localhost:50051/v1/admin/profiles"#.to_owned(),
            format!(r#"grpcurl -plaintext -H "authorization: Bearer $T" -d '{remove}' localhost:50051 textanalysis.v1.Admin/RemoveProfile"#),
            format!(r#"curl -H "authorization: Bearer $T" -d '{remove}' localhost:50051/v1/admin/profiles:remove"#),
        ] {
            assert!(README.contains(&line), "the README lacks `{line}`");
        }
        let admin_call = |body: Option<&str>, method: &str| {
            let mut args = vec!["-H", &bearer];
            if let Some(body) = body {
                args.extend(["-d", body]);
            }
            let method = format!("textanalysis.v1.Admin/{method}");
            args.extend(["--", &method]);
            ok_json(grpcurl(server, &args, None))
        };
        let admin_curl = |body: Option<&str>, route: &str| {
            let mut args = vec!["-H", bearer.as_str()];
            if let Some(body) = body {
                args.extend(["-d", body]);
            }
            let answer = curl(server.addr, &args, route, None);
            assert_eq!(answer.status, 200, "{route}: {}", answer.body);
            answer.json()
        };
        let without_time = |mut answer: serde_json::Value| {
            answer.as_object_mut().unwrap().remove("buildMs");
            answer
        };

        // Created by grpcurl, removed, created again by curl: the same answer.
        let by_grpcurl = without_time(admin_call(Some(create), "CreateProfile"));
        assert_eq!(by_grpcurl["dictionary"]["profile"], "acme");
        let words = |answer: &serde_json::Value| crate::common::json_words(answer);
        let grpc_words = ok_json(grpcurl(
            server,
            &["-d", segment, "--", "textanalysis.v1.TextAnalysis/Segment"],
            None,
        ));
        assert_eq!(words(&grpc_words), ["云原生数据湖", "正在", "改变", "数据分析"]);
        let curl_words = curl(server.addr, &["-d", segment], "/v1/segment", None).json();
        assert_eq!(curl_words, grpc_words);
        let listed = admin_call(None, "ListProfiles");
        assert_eq!(listed, admin_curl(None, "/v1/admin/profiles"));
        let names: Vec<&str> = listed["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["profile"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["default", "acme"]);
        // Started with --no-profile-metrics: the profile is counted, and has no series.
        let page = server.metrics.encode(Format::Classic);
        assert!(page.contains("textanalysis_dictionary_profiles 2"), "{page}");
        assert!(!page.contains(r#"profile="acme""#), "{page}");
        assert!(page.contains(r#"textanalysis_dictionary_generation{profile="default"} 1"#));
        assert_eq!(admin_call(Some(remove), "RemoveProfile"), serde_json::json!({}));
        let by_curl = without_time(admin_curl(Some(create), "/v1/admin/profiles:create"));
        assert_eq!(by_curl["dictionary"]["contentVersion"], by_grpcurl["dictionary"]["contentVersion"]);
        assert_eq!(admin_curl(Some(remove), "/v1/admin/profiles:remove"), serde_json::json!({}));
        let gone = curl(server.addr, &["-d", segment], "/v1/segment", None);
        assert_eq!(gone.status, 404, "{}", gone.body);
    })
    .await
    .unwrap();
    Arc::into_inner(server).unwrap().shutdown().await;
}
