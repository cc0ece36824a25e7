//! What bounds the tenants' profiles beside their number: the memory they are reckoned to hold
//! (`--max-profiles-memory-mb`), at creation, when the watch finds a profile another replica
//! made, and at start-up; and the one version that covers the whole set of profiles.

use std::sync::Arc;

use textanalysis::core::{AnalyzerConfig, Profiles, StartError, profile_bytes};
use textanalysis::edge::BearerTokens;
use textanalysis::grpc::pb::{CreateProfileRequest, ListProfilesRequest, WordEntry};
use textanalysis::metrics::Format;
use textanalysis::server::Settings;
use tonic::Code;

use crate::common::{TestServer, temp_dir};
use crate::dictionary::{ADMIN_TOKEN, admin};

/// `n` words of a tenant's own.
fn words(n: usize) -> Vec<WordEntry> {
    (0..n)
        .map(|k| WordEntry {
            word: format!("租户词{k}"),
            freq: None,
            tag: "nz".into(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_past_the_memory_bound_are_refused_and_the_set_has_one_version() {
    let dir = temp_dir("tenant-limits");
    let config = AnalyzerConfig {
        dictionary_dir: Some(dir.path().join("dict")),
        ..AnalyzerConfig::default()
    };
    std::fs::create_dir_all(dir.path().join("dict")).unwrap();
    // Room for a small profile (16 KiB and 10 words) and not for one of 200 words more.
    let max = 64 << 10;
    let mut profiles = Profiles::start(&config, None, &[], 10).unwrap();
    profiles.limit_memory(max).unwrap();
    let profiles = Arc::new(profiles);
    let server = TestServer::with_profiles(
        Arc::clone(&profiles),
        Settings {
            admin: BearerTokens::load(None, Some(ADMIN_TOKEN)).unwrap(),
            // The directory is looked at by the test alone.
            watch_interval: None,
            ..Default::default()
        },
    )
    .await;
    let create = |name: &str, n: usize| {
        let mut client = admin(&server, ADMIN_TOKEN);
        let request = CreateProfileRequest {
            profile: name.into(),
            words: words(n),
        };
        async move { client.create_profile(request).await }
    };
    let small = create("small", 10).await.unwrap().into_inner();
    let reckoned = profile_bytes(&textanalysis::core::DictionaryIdentity {
        generation: 1,
        files: Vec::new(),
        added_words: 10,
        removed_words: 0,
        content_version: String::new(),
    });
    assert_eq!(profiles.reckoned_bytes(), reckoned);
    assert_eq!(small.dictionary.unwrap().profile, "small");

    let big = create("big", 200).await.unwrap_err();
    assert_eq!(big.code(), Code::ResourceExhausted, "{big:?}");
    assert!(
        big.message().contains("--max-profiles-memory-mb"),
        "{big:?}"
    );
    assert!(!dir.path().join("dict/profiles/big").exists());
    assert_eq!(profiles.reckoned_bytes(), reckoned);

    // A profile put in the directory by another replica or an operator: not served past the
    // bound, and said why.
    // Written under a hidden name and renamed into place, as docs/dictionaries.md says.
    let hidden = dir.path().join("dict/profiles/.copied");
    std::fs::create_dir_all(&hidden).unwrap();
    let lines: String = (0..200).map(|k| format!("复制词{k} 5 nz\n")).collect();
    std::fs::write(hidden.join("words.dict"), lines).unwrap();
    std::fs::rename(&hidden, dir.path().join("dict/profiles/copied")).unwrap();
    let change = profiles.sync();
    assert!(change.added.is_empty(), "{change:?}");
    assert_eq!(change.failed.len(), 1, "{change:?}");
    assert!(
        change.failed[0].1.contains("--max-profiles-memory-mb"),
        "{change:?}"
    );
    assert!(profiles.get("copied").is_err());
    let again = profiles.sync();
    assert!(
        again.added.is_empty() && again.failed.is_empty(),
        "told once: {again:?}"
    );
    assert!(profiles.get("copied").is_err());

    // One version over the set, in ListProfiles and the metrics alike, that moves with it.
    let listed = || {
        let mut client = admin(&server, ADMIN_TOKEN);
        async move {
            client
                .list_profiles(ListProfilesRequest {})
                .await
                .unwrap()
                .into_inner()
        }
    };
    let before = listed().await.profiles_version;
    assert_eq!(before.len(), 16, "{before}");
    let page = server.metrics.encode(Format::Classic);
    assert!(
        page.contains(&format!(
            r#"textanalysis_dictionary_profiles_info{{profiles_version="{before}"}} 1"#
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "textanalysis_dictionary_profiles_reckoned_bytes {reckoned}"
        )),
        "{page}"
    );
    create("other", 0).await.unwrap();
    let after = listed().await.profiles_version;
    assert_ne!(after, before);
    let page = server.metrics.encode(Format::Classic);
    assert!(page.contains(&after) && !page.contains(&before), "{page}");
    server.shutdown().await;

    // At start-up, profiles past the bound stop the server (exit code 2, from main).
    let mut restarted = Profiles::start(&config, None, &[], 10).unwrap();
    let error = restarted.limit_memory(reckoned).unwrap_err();
    assert!(
        matches!(error, StartError::ProfilesTooLarge { .. }),
        "{error:?}"
    );
}
