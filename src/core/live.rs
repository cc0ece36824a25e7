//! The analyzer in service, replaced whole when its dictionaries change.
//!
//! A reload or a word edit builds a new [`Analyzer`] off to the side while the current one keeps
//! serving, then swaps it in with one atomic store (`arc-swap`). Calls hold the analyzer they
//! started with (an `Arc`), so calls in flight finish on the old one and no call ever sees a
//! half-built dictionary. Changes are serialised: each is built from the one before it, so none
//! is lost to a race.
//!
//! Several servers (replicas) can share one dictionary directory and one state directory:
//! word edits are made under a file lock on the edits saved there, so that edits through
//! different servers are all kept, and each server follows what the others (or an operator)
//! change by calling [`LiveAnalyzer::refresh`] periodically.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use super::fingerprint::Fingerprint;
use super::layout::edits_dir;
use super::word_edits::{
    StateDir, StateError, WordEdits, WordEntry, WordViolation, validate_entries, validate_words,
};
use super::{Analyzer, AnalyzerConfig, LoadError, Sources};

/// Why a reload or a word edit did not happen; the analyzer serving before it still serves.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A file could not be read or parsed (reload).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Some words of the edit are unacceptable; none of it was applied.
    #[error("{} unacceptable word(s)", .0.len())]
    Invalid(Vec<WordViolation>),
    /// Word edits need somewhere to be kept.
    #[error(
        "run-time word edits are kept in a state directory so that they survive restarts, and \
         this server has none (nor a dictionary directory to keep them in)"
    )]
    NoStateDir,
    /// The edit could not be saved; it was not applied.
    #[error("cannot save the word edits: {0}")]
    State(#[from] StateError),
}

/// Why the analyzer could not be built at start-up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A file could not be read or parsed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The state directory cannot be used, or its file is damaged.
    #[error(transparent)]
    State(#[from] StateError),
    /// The named profiles are misdeclared, or one of them does not load (see
    /// [`crate::core::Profiles`]).
    #[error("{0}")]
    Profiles(String),
    /// More named profiles are declared than allowed.
    #[error("{declared} profiles are declared; at most {max} are allowed")]
    TooManyProfiles {
        /// How many are declared.
        declared: usize,
        /// How many are allowed.
        max: usize,
    },
    /// The named profiles are reckoned to hold more memory than allowed.
    #[error(
        "the named profiles are reckoned to hold {} MB; at most {} MB are allowed",
        .reckoned >> 20,
        .max >> 20
    )]
    ProfilesTooLarge {
        /// What they are reckoned to hold, in bytes ([`crate::core::profile_bytes`]).
        reckoned: u64,
        /// What they may hold, in bytes.
        max: u64,
    },
}

/// What the next change starts from.
#[derive(Debug)]
struct Changes {
    edits: WordEdits,
    generation: u64,
    /// The files as they were when the analyzer serving now was built from them.
    seen: Fingerprint,
    /// A change seen by the last [`LiveAnalyzer::refresh`], applied once the next one sees
    /// the files unchanged since (a file being written is not read half-written).
    pending: Option<Fingerprint>,
}

/// The analyzer in service (see the module documentation). Share it as `Arc<LiveAnalyzer>`.
#[derive(Debug)]
pub struct LiveAnalyzer {
    current: ArcSwap<Analyzer>,
    config: AnalyzerConfig,
    state: Option<StateDir>,
    changes: Mutex<Changes>,
}

impl LiveAnalyzer {
    /// Reads the files `config` names (and its dictionary directory holds) and the word edits
    /// saved in `state_dir`, or in the dictionary directory when no state directory is given
    /// (created if missing), and builds the first analyzer (generation 1).
    pub fn start(config: AnalyzerConfig, state_dir: Option<&Path>) -> Result<Self, StartError> {
        let state = edits_dir(state_dir, None, config.dictionary_dir.as_deref())
            .map(StateDir::open)
            .transpose()?;
        let seen = Fingerprint::of(&config, state.as_ref().map(StateDir::file).as_deref());
        let edits = match &state {
            Some(state) => state.load()?,
            None => WordEdits::default(),
        };
        let sources = Arc::new(Sources::load(&config)?);
        let analyzer = Analyzer::build(sources, &edits, 1);
        Ok(Self {
            current: ArcSwap::from_pointee(analyzer),
            config,
            state,
            changes: Mutex::new(Changes {
                edits,
                generation: 1,
                seen,
                pending: None,
            }),
        })
    }

    /// Serves `analyzer`, built from `config` without word edits; reloads read `config` again.
    /// Without a state directory, word edits are refused ([`ChangeError::NoStateDir`]).
    pub fn with_analyzer(analyzer: Arc<Analyzer>, config: AnalyzerConfig) -> Self {
        let generation = analyzer.identity().generation;
        let seen = Fingerprint::of(&config, None);
        Self {
            current: ArcSwap::new(analyzer),
            config,
            state: None,
            changes: Mutex::new(Changes {
                edits: WordEdits::default(),
                generation,
                seen,
                pending: None,
            }),
        }
    }

    /// The analyzer serving now. Hold it for the whole of a call: it stays valid (and
    /// unchanged) however many swaps happen meanwhile.
    pub fn current(&self) -> Arc<Analyzer> {
        self.current.load_full()
    }

    /// Reads every file again (and the saved word edits, which other servers sharing the
    /// directory may have changed) and swaps in an analyzer built from them. Blocks for the
    /// build (a few hundred milliseconds): call it off the async reactor.
    pub fn reload(&self) -> Result<Arc<Analyzer>, ChangeError> {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.fingerprint();
        self.reload_from(&mut changes, now)
    }

    /// Reloads (as [`LiveAnalyzer::reload`]) if any file read changed since the analyzer serving
    /// now was built, and stayed unchanged since the previous call; `Ok(None)` otherwise. Call
    /// it periodically to follow a directory that other servers or an operator change. A
    /// change that fails to load is reported once, and tried again when the files change again.
    pub fn refresh(&self) -> Result<Option<Arc<Analyzer>>, ChangeError> {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.fingerprint();
        if now == changes.seen {
            changes.pending = None;
            return Ok(None);
        }
        if changes.pending.as_ref() != Some(&now) {
            changes.pending = Some(now);
            return Ok(None);
        }
        changes.pending = None;
        self.reload_from(&mut changes, now).map(Some)
    }

    fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(
            &self.config,
            self.state.as_ref().map(StateDir::file).as_deref(),
        )
    }

    /// Reloads from the files, `now` being their fingerprint taken before reading them (a file
    /// that changes while being read is read again at the next refresh).
    fn reload_from(
        &self,
        changes: &mut Changes,
        now: Fingerprint,
    ) -> Result<Arc<Analyzer>, ChangeError> {
        changes.seen = now;
        let sources = Arc::new(Sources::load(&self.config)?);
        let edits = match &self.state {
            Some(state) => Some(state.load()?),
            None => None,
        };
        Ok(self.swap(changes, sources, edits))
    }

    /// Adds words (or changes their frequency and tag), saves the edit, and swaps in an
    /// analyzer with it. Blocks (see [`LiveAnalyzer::reload`]).
    pub fn add_words(&self, entries: Vec<WordEntry>) -> Result<Arc<Analyzer>, ChangeError> {
        validate_entries(&entries).map_err(ChangeError::Invalid)?;
        self.edit(|edits| edits.add(entries))
    }

    /// Removes words, whether from jieba's dictionary, a user dictionary or an earlier
    /// [`LiveAnalyzer::add_words`]; saves the edit and swaps in an analyzer without them.
    /// Removing a word no dictionary holds is recorded all the same (a later reload of a user
    /// dictionary that has it keeps it out). Blocks (see [`LiveAnalyzer::reload`]).
    pub fn remove_words(&self, words: Vec<String>) -> Result<Arc<Analyzer>, ChangeError> {
        validate_words(&words).map_err(ChangeError::Invalid)?;
        self.edit(|edits| edits.remove(words))
    }

    /// Applies `apply` to the saved edits under the state directory's lock (so that edits
    /// through other servers sharing it are kept), then serves the result.
    fn edit(&self, apply: impl FnOnce(&mut WordEdits)) -> Result<Arc<Analyzer>, ChangeError> {
        let state = self.state.as_ref().ok_or(ChangeError::NoStateDir)?;
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        // Saved before it serves: once a caller hears of an edit, a restart keeps it.
        let (edits, stamp) = state.update(apply)?;
        changes.seen.record(&state.file(), stamp);
        let sources = Arc::clone(self.current.load().sources());
        Ok(self.swap(&mut changes, sources, Some(edits)))
    }

    fn swap(
        &self,
        changes: &mut Changes,
        sources: Arc<Sources>,
        edits: Option<WordEdits>,
    ) -> Arc<Analyzer> {
        if let Some(edits) = edits {
            changes.edits = edits;
        }
        changes.generation += 1;
        let analyzer = Arc::new(Analyzer::build(sources, &changes.edits, changes.generation));
        self.current.store(Arc::clone(&analyzer));
        analyzer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Deadline, SegmentOptions};

    fn words(analyzer: &Analyzer, text: &str) -> Vec<String> {
        analyzer
            .segment(text, &SegmentOptions::default(), Deadline::NONE)
            .unwrap()
            .iter()
            .map(|t| t.word.to_owned())
            .collect()
    }

    fn entry(word: &str) -> WordEntry {
        WordEntry {
            word: word.into(),
            freq: None,
            tag: None,
        }
    }

    #[test]
    fn edits_swap_in_new_generations_and_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("ta-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let live = LiveAnalyzer::start(AnalyzerConfig::default(), Some(&dir)).unwrap();
        let first = live.current();
        let text = "我来到北京清华大学";
        assert_eq!(words(&first, text), ["我", "来到", "北京", "清华大学"]);

        live.remove_words(vec!["清华大学".into()]).unwrap();
        let second = live.add_words(vec![entry("京清")]).unwrap();
        assert_eq!(second.identity().generation, 3);
        assert_eq!(
            (
                second.identity().added_words,
                second.identity().removed_words
            ),
            (1, 1)
        );
        assert!(!second.has_word("清华大学") && second.has_word("京清"));
        assert_ne!(words(&second, text), words(&first, text));
        // A call holding the first analyzer still sees the first dictionary.
        assert_eq!(words(&first, text), ["我", "来到", "北京", "清华大学"]);

        let restarted = LiveAnalyzer::start(AnalyzerConfig::default(), Some(&dir)).unwrap();
        assert_eq!(words(&restarted.current(), text), words(&second, text));
        // Adding a removed word back takes it out of the removed set.
        let third = restarted.add_words(vec![entry("清华大学")]).unwrap();
        assert_eq!(third.identity().removed_words, 0);
        assert!(third.has_word("清华大学"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn edits_need_a_state_dir_and_valid_words() {
        let live = LiveAnalyzer::with_analyzer(
            Arc::new(Analyzer::new(&AnalyzerConfig::default()).unwrap()),
            AnalyzerConfig::default(),
        );
        assert!(matches!(
            live.add_words(vec![entry("词")]),
            Err(ChangeError::NoStateDir)
        ));
        assert!(matches!(
            live.remove_words(vec![String::new()]),
            Err(ChangeError::Invalid(_))
        ));
        assert_eq!(live.current().identity().generation, 1);
        assert_eq!(live.reload().unwrap().identity().generation, 2);
    }

    /// Refreshes until a change is served (two polls), as a replica's watch does.
    fn refreshed(live: &LiveAnalyzer) -> Result<Option<Arc<Analyzer>>, ChangeError> {
        match live.refresh()? {
            Some(analyzer) => Ok(Some(analyzer)),
            None => live.refresh(),
        }
    }

    fn shared(dir: &Path) -> LiveAnalyzer {
        let config = AnalyzerConfig {
            dictionary_dir: Some(dir.to_path_buf()),
            ..AnalyzerConfig::default()
        };
        LiveAnalyzer::start(config, None).unwrap()
    }

    #[test]
    fn servers_sharing_a_directory_keep_every_edit_and_converge() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (Arc::new(shared(dir.path())), Arc::new(shared(dir.path())));
        a.add_words(vec![entry("甲乙丙")]).unwrap();
        // A server's own edit is not read back as a change; the other server's is.
        assert!(refreshed(&a).unwrap().is_none());
        assert!(!b.current().has_word("甲乙丙"));
        assert!(
            b.refresh().unwrap().is_none(),
            "served only once seen twice"
        );
        assert!(b.refresh().unwrap().unwrap().has_word("甲乙丙"));

        // Edits through both at once, as through two replicas: none is lost.
        fn words(prefix: &'static str) -> impl Iterator<Item = String> {
            (0..20).map(move |i| format!("{prefix}词{i}"))
        }
        let writers: Vec<_> = [(Arc::clone(&a), "左"), (Arc::clone(&b), "右")]
            .into_iter()
            .map(|(live, prefix)| {
                let words: Vec<String> = words(prefix).collect();
                std::thread::spawn(move || {
                    for word in words {
                        live.add_words(vec![entry(&word)]).unwrap();
                    }
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap());
        let _ = refreshed(&a).unwrap();
        let _ = refreshed(&b).unwrap();
        for live in [&a, &b] {
            let current = live.current();
            assert_eq!(current.identity().added_words, 41);
            assert!(words("左").chain(words("右")).all(|w| current.has_word(&w)));
        }
        assert_eq!(
            a.current().identity().content_version,
            b.current().identity().content_version
        );
    }

    #[test]
    fn the_content_version_follows_the_content_not_the_history() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (shared(one.path()), shared(two.path()));
        let version = |live: &LiveAnalyzer| live.current().identity().content_version.clone();
        assert_eq!(version(&a), version(&b));
        let start = version(&a);
        a.add_words(vec![entry("云计算")]).unwrap();
        a.remove_words(vec!["北京".into()]).unwrap();
        b.remove_words(vec!["北京".into()]).unwrap();
        b.add_words(vec![entry("云计算")]).unwrap();
        assert_eq!(version(&a), version(&b));
        assert_ne!(version(&a), start);
        // A file with the same content in another place: the same version.
        std::fs::write(one.path().join("x.dict"), "区块链 5\n").unwrap();
        std::fs::write(two.path().join("y.dict"), "区块链 5\n").unwrap();
        a.reload().unwrap();
        b.reload().unwrap();
        assert_eq!(version(&a), version(&b));
    }

    #[test]
    fn a_damaged_file_leaves_the_last_good_dictionary_serving() {
        let dir = tempfile::tempdir().unwrap();
        let live = shared(dir.path());
        std::fs::write(dir.path().join("good.dict"), "甲乙丙 5\n").unwrap();
        let good = refreshed(&live).unwrap().unwrap();
        assert!(good.has_word("甲乙丙"));

        std::fs::write(dir.path().join("bad.dict"), b"\xff\xfe not text\n").unwrap();
        assert!(matches!(refreshed(&live), Err(ChangeError::Load(_))));
        assert_eq!(
            live.current().identity().generation,
            good.identity().generation
        );
        // Reported once: not tried again until the files change again.
        assert!(refreshed(&live).unwrap().is_none());
        assert!(matches!(live.reload(), Err(ChangeError::Load(_))));

        // A damaged word-edits file is refused whole, too.
        std::fs::remove_file(dir.path().join("bad.dict")).unwrap();
        std::fs::write(dir.path().join("word-edits.state"), "torn").unwrap();
        assert!(matches!(refreshed(&live), Err(ChangeError::State(_))));
        assert!(live.current().has_word("甲乙丙"));
        std::fs::remove_file(dir.path().join("word-edits.state")).unwrap();
        assert!(refreshed(&live).unwrap().unwrap().has_word("甲乙丙"));
    }

    #[test]
    fn the_builtin_dictionary_is_what_its_hash_says() {
        let text = include_str!("../../data/jieba/dict.txt");
        assert_eq!(
            crate::core::sha256_hex(text.as_bytes()),
            crate::core::BUILTIN_DICT_SHA256
        );
        let mut jieba = jieba_rs::Jieba::empty();
        jieba.load_dict(&mut text.as_bytes()).unwrap();
        assert!(jieba.has_word("清华大学"));
        let longest = text
            .lines()
            .filter_map(|line| line.split_ascii_whitespace().next())
            .map(|word| word.chars().count())
            .max();
        assert_eq!(longest, Some(crate::core::builtin::BUILTIN_LONGEST_WORD));
        let total: usize = text
            .lines()
            .filter_map(|line| line.split_ascii_whitespace().nth(1)?.parse::<usize>().ok())
            .sum();
        assert_eq!(total, crate::core::builtin::BUILTIN_TOTAL);
        assert_eq!(text.lines().count(), 349_045);
        assert!(
            text.lines()
                .all(|l| l.split_ascii_whitespace().count() == 3)
        );
        // Read line by line as the analyzers read it, the same words with the same frequencies.
        let fast = crate::core::dictionary::Dictionary::builtin();
        for line in text.lines().step_by(97) {
            let word = line.split_ascii_whitespace().next().unwrap();
            assert!(fast.has_word(word), "{word}");
            assert_eq!(fast.suggest_freq(word), jieba.suggest_freq(word), "{word}");
        }
    }
}
