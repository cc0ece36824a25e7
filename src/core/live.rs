//! The analyzer in service, replaced whole when its dictionaries change.
//!
//! A reload or a word edit builds a new [`Analyzer`] off to the side while the current one keeps
//! serving, then swaps it in with one atomic store (`arc-swap`). Calls hold the analyzer they
//! started with (an `Arc`), so calls in flight finish on the old one and no call ever sees a
//! half-built dictionary. Changes are serialised: each is built from the one before it, so none
//! is lost to a race.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

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
        "run-time word edits are kept in a state directory so that they survive restarts; \
         start the server with --state-dir to allow them"
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
}

/// What the next change starts from.
#[derive(Debug)]
struct Changes {
    edits: WordEdits,
    generation: u64,
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
    /// Reads the files `config` names and the word edits saved in `state_dir` (when given;
    /// created if missing), and builds the first analyzer (generation 1).
    pub fn start(config: AnalyzerConfig, state_dir: Option<&Path>) -> Result<Self, StartError> {
        let state = state_dir.map(StateDir::open).transpose()?;
        let edits = match &state {
            Some(state) => state.load()?,
            None => WordEdits::default(),
        };
        let analyzer = Analyzer::build(Arc::new(Sources::load(&config)?), &edits, 1);
        Ok(Self {
            current: ArcSwap::from_pointee(analyzer),
            config,
            state,
            changes: Mutex::new(Changes {
                edits,
                generation: 1,
            }),
        })
    }

    /// Serves `analyzer`, built from `config` without word edits; reloads read `config` again.
    /// Without a state directory, word edits are refused ([`ChangeError::NoStateDir`]).
    pub fn with_analyzer(analyzer: Arc<Analyzer>, config: AnalyzerConfig) -> Self {
        let generation = analyzer.identity().generation;
        Self {
            current: ArcSwap::new(analyzer),
            config,
            state: None,
            changes: Mutex::new(Changes {
                edits: WordEdits::default(),
                generation,
            }),
        }
    }

    /// The analyzer serving now. Hold it for the whole of a call: it stays valid (and
    /// unchanged) however many swaps happen meanwhile.
    pub fn current(&self) -> Arc<Analyzer> {
        self.current.load_full()
    }

    /// Reads every file again and swaps in an analyzer built from them and the word edits.
    /// Blocks for the build (a few hundred milliseconds): call it off the async reactor.
    pub fn reload(&self) -> Result<Arc<Analyzer>, ChangeError> {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let sources = Arc::new(Sources::load(&self.config)?);
        Ok(self.swap(&mut changes, sources, None))
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

    fn edit(&self, apply: impl FnOnce(&mut WordEdits)) -> Result<Arc<Analyzer>, ChangeError> {
        let state = self.state.as_ref().ok_or(ChangeError::NoStateDir)?;
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        let mut edits = changes.edits.clone();
        apply(&mut edits);
        // Saved before it serves: once a caller hears of an edit, a restart keeps it.
        state.save(&edits)?;
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
    }
}
