//! A thousand dictionary profiles in one server process: profiles are overlays over one shared
//! built-in dictionary, so each costs what it adds (issue: a dictionary per tenant). The server
//! is the real binary, its memory read from `/proc`.

use std::io::Write;
use std::time::Instant;

use crate::binary::Running;
use crate::common::{segment_words_in, temp_dir};
use crate::hostile::rss;

/// How many named profiles, and words of its own each has.
const PROFILES: usize = 1000;
const WORDS: usize = 1000;

/// The most a server with the profiles may hold resident (the target; the built-in
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
