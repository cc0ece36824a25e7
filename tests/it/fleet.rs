//! Replicas sharing one dictionary directory, as a fleet does: a word edit through one is served
//! by every one, edits through several at once are all kept, a damaged file leaves each
//! serving its last good dictionary, reported in the Reload status and the metrics, and the
//! directory's profiles are every replica's, each profile following its own files and edits. Real
//! servers (each following the directory as `serve` does), generated clients.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{TestServer, dictionary_info, temp_dir, within_limit};
use crate::dictionary::{ADMIN_TOKEN, admin, start_counted, words, write};
use textanalysis::core::AnalyzerConfig;
use textanalysis::grpc::pb::{AddWordsRequest, ReloadRequest, WordEntry};
use textanalysis::metrics::Format;
use tonic::Code;

const TEXT: &str = "云原生数据湖正在改变数据分析";
const WORD: &str = "云原生数据湖";

fn shared(dir: &Path) -> AnalyzerConfig {
    AnalyzerConfig {
        dictionary_dir: Some(dir.to_path_buf()),
        ..AnalyzerConfig::default()
    }
}

fn entry(word: &str) -> WordEntry {
    WordEntry {
        word: word.into(),
        ..Default::default()
    }
}

/// Waits until `ready` holds of what `probe` returns; each try is a call, not a sleep of a
/// guessed length, and the whole wait has the tests' deadline.
async fn until<T, F: std::future::Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    ready: impl Fn(&T) -> bool,
) -> T {
    within_limit(what, async {
        loop {
            let value = probe().await;
            if ready(&value) {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn an_edit_through_one_replica_is_served_by_every_replica() {
    let dir = temp_dir("fleet-edit");
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(start_counted(shared(dir.path()), None).await.0);
    }
    assert!(!words(&replicas[2], TEXT).await.contains(&WORD.to_owned()));

    let edited = Instant::now();
    admin(&replicas[0], ADMIN_TOKEN)
        .add_words(AddWordsRequest {
            profile: String::new(),
            words: vec![entry(WORD)],
        })
        .await
        .unwrap();
    // Every replica answers every call meanwhile (a failed call panics in `words`).
    for replica in &replicas[1..] {
        until(
            "the edit served by another replica",
            || words(replica, TEXT),
            |w| w.contains(&WORD.to_owned()),
        )
        .await;
    }
    eprintln!(
        "an edit through one replica served by all three after {:?}",
        edited.elapsed()
    );
    let mut versions = Vec::new();
    for replica in &replicas {
        versions.push(
            dictionary_info(replica.channel.clone())
                .await
                .content_version,
        );
    }
    assert!(
        versions.iter().all(|v| *v == versions[0] && v.len() == 16),
        "{versions:?}"
    );
    for replica in replicas {
        replica.shutdown().await;
    }
}

#[tokio::test]
async fn edits_through_two_replicas_at_once_are_all_kept() {
    let dir = temp_dir("fleet-concurrent");
    let (a, b) = (
        start_counted(shared(dir.path()), None).await.0,
        start_counted(shared(dir.path()), None).await.0,
    );
    let edits = |server: &TestServer, side: &'static str| {
        let mut client = admin(server, ADMIN_TOKEN);
        async move {
            for i in 0..10 {
                client
                    .add_words(AddWordsRequest {
                        profile: String::new(),
                        words: vec![entry(&format!("{side}边词{i}"))],
                    })
                    .await
                    .unwrap();
            }
        }
    };
    tokio::join!(edits(&a, "左"), edits(&b, "右"));
    let wanted: Vec<String> = ["左", "右"]
        .iter()
        .flat_map(|side| (0..10).map(move |i| format!("{side}边词{i}")))
        .collect();
    let mut versions = Vec::new();
    for server in [&a, &b] {
        let info = until(
            "all 20 edits served",
            || dictionary_info(server.channel.clone()),
            |info| info.added_words == 20,
        )
        .await;
        versions.push(info.content_version);
        let text = wanted.concat();
        let cut = words(server, &text).await;
        assert!(wanted.iter().all(|w| cut.contains(w)), "{cut:?}");
    }
    assert_eq!(versions[0], versions[1]);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_damaged_file_leaves_every_replica_serving_its_last_good_dictionary() {
    let dir = temp_dir("fleet-damaged");
    write(dir.path(), "product.dict", &format!("{WORD} 10 nz\n"));
    let (a, a_metrics) = start_counted(shared(dir.path()), None).await;
    let (b, b_metrics) = start_counted(shared(dir.path()), None).await;
    let good = dictionary_info(a.channel.clone()).await;

    std::fs::write(dir.path().join("broken.dict"), b"\xff\xfe not UTF-8\n").unwrap();
    let status = admin(&a, ADMIN_TOKEN)
        .reload(ReloadRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("broken.dict"), "{status:?}");
    // The other replica notices by itself, reports it, and serves on.
    let failing = r#"textanalysis_dictionary_files_failing{profile="default"} 1"#;
    until(
        "the damaged file reported",
        || std::future::ready(b_metrics.encode(Format::Classic)),
        |page| page.contains(failing),
    )
    .await;
    assert!(a_metrics.encode(Format::Classic).contains(failing));
    for server in [&a, &b] {
        assert!(words(server, TEXT).await.contains(&WORD.to_owned()));
        let info = dictionary_info(server.channel.clone()).await;
        assert_eq!(info.content_version, good.content_version);
    }

    // Repaired: both serve the directory again and say so.
    std::fs::remove_file(dir.path().join("broken.dict")).unwrap();
    for metrics in [&a_metrics, &b_metrics] {
        until(
            "the repair noticed",
            || std::future::ready(metrics.encode(Format::Classic)),
            |page| page.contains(r#"textanalysis_dictionary_files_failing{profile="default"} 0"#),
        )
        .await;
    }
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn the_directorys_profiles_are_every_replicas_and_follow_their_own_edits() {
    let dir = temp_dir("fleet-profiles");
    let medical = dir.path().join("profiles/medical");
    std::fs::create_dir_all(&medical).unwrap();
    write(&medical, "medical.dict", "二甲双胍 30 n\n");
    let (a, b) = (
        start_counted(shared(dir.path()), None).await.0,
        start_counted(shared(dir.path()), None).await.0,
    );
    let in_profile = |server, profile: &'static str| async move {
        let words = crate::common::segment_words_in(server, profile, TEXT).await;
        words.contains(&WORD.to_owned())
    };
    admin(&a, ADMIN_TOKEN)
        .add_words(AddWordsRequest {
            profile: "medical".into(),
            words: vec![entry(WORD)],
        })
        .await
        .unwrap();
    until(
        "the profile's edit served by the other replica",
        || in_profile(b.channel.clone(), "medical"),
        |served| *served,
    )
    .await;
    assert!(medical.join("word-edits.state").exists());
    for server in [&a, &b] {
        assert!(!in_profile(server.channel.clone(), "").await);
    }

    // A file added to the profile's directory: both replicas reload that profile by themselves.
    write(&medical, "more.dict", "数据分析师 5 n\n");
    for server in [&a, &b] {
        until(
            "the profile's new file served",
            || crate::common::segment_words_in(server.channel.clone(), "medical", "数据分析师"),
            |words| words.len() == 1,
        )
        .await;
        assert_eq!(
            crate::common::segment_words_in(server.channel.clone(), "", "数据分析师").await,
            ["数据", "分析师"]
        );
    }
    a.shutdown().await;
    b.shutdown().await;
}
