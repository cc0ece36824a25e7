//! Named dictionary profiles: one server, many vocabularies (a medical search, a legal
//! archive, a shop, a thousand tenants of a SaaS product), each request choosing one by name.
//!
//! A profile is the built-in dictionary plus its own user dictionaries, and optionally its own
//! IDF table and stop words, all in one directory; it keeps its own word edits and is reloaded
//! on its own ([`LiveAnalyzer`]). The unnamed profile, `default`, is the server's configuration
//! as it was before profiles (flags and dictionary directory). Profiles share what does not
//! differ: the built-in IDF table, the tagging HMM and the models are loaded once (see
//! [`crate::core::Sources`]), and so is jieba's dictionary: each profile's holds only what
//! its files change of it (the overlay of `core/dictionary`; BENCHMARKS.md).
//!
//! The set of named profiles changes while the server runs ([`membership`]): profiles are
//! created and removed through `Admin` and follow the dictionary directory's `profiles/`,
//! which replicas share. A call holds the analyzer it started with, so removing a profile
//! finishes the calls already running on it.

mod membership;
mod names;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

pub use membership::{ProfileChangeError, SetChange};
use names::check_name;
pub use names::{DEFAULT_PROFILE, MAX_PROFILE_NAME_CHARS, PROFILE_NAME_RULE, ProfileSpec};

use super::layout::edits_dir;
use super::live::{LiveAnalyzer, StartError};
use super::{Analyzer, AnalyzerConfig, DictionaryIdentity, SourceKind};
use membership::discover;

/// A request named a profile the server does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no dictionary profile named `{requested}`; profiles: {}", available.join(", "))]
pub struct UnknownProfile {
    /// The name asked for.
    pub requested: String,
    /// The profiles that exist, `default` first (the first 20, and `…` past them).
    pub available: Vec<String>,
}

/// Where a named profile comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `--profile NAME=DIR`: served until the server stops.
    Declared,
    /// A directory of the dictionary directory's `profiles/`: created and removed with it.
    Directory,
}

/// A named profile.
#[derive(Debug, Clone)]
struct Named {
    live: Arc<LiveAnalyzer>,
    dir: PathBuf,
    origin: Origin,
}

/// The named profiles at one moment, by name.
type NamedSet = BTreeMap<Arc<str>, Named>;

/// What a named profile serving `identity` is reckoned to hold, in bytes: 16 KiB, 340 bytes for
/// each word of its user dictionaries and each word edit, and 64 for each line of its IDF table
/// or stop words, as measured (BENCHMARKS.md, "Dictionary profiles": 339 kB a profile of 1,000
/// words of its own; 59 and 56 bytes a line of IDF table and of stop words). A reckoning from
/// what the profile holds rather than a measure of the process, so that every replica serving
/// the same profiles reckons the same, and refuses the same.
pub fn profile_bytes(identity: &DictionaryIdentity) -> u64 {
    const PROFILE: u64 = 16 << 10;
    const WORD: u64 = 340;
    const LINE: u64 = 64;
    let edits = (identity.added_words + identity.removed_words) as u64;
    identity
        .files
        .iter()
        .fold(PROFILE + WORD * edits, |sum, file| {
            let each = match file.kind {
                SourceKind::UserDict => WORD,
                SourceKind::Idf | SourceKind::StopWords => LINE,
            };
            sum + each * file.entries as u64
        })
}

/// What the named profiles of `named` are reckoned to hold.
fn reckoned_bytes(named: &NamedSet) -> u64 {
    named
        .values()
        .map(|p| profile_bytes(p.live.current().identity()))
        .sum()
}

/// Every profile the server serves: `default`, and the named ones by name. Share it as
/// `Arc<Profiles>`; named profiles come and go while it serves ([`membership`]), and each
/// profile's dictionary changes on its own.
#[derive(Debug)]
pub struct Profiles {
    default: Arc<LiveAnalyzer>,
    named: ArcSwap<NamedSet>,
    /// What a new profile is made from.
    config: AnalyzerConfig,
    state_dir: Option<PathBuf>,
    /// The most named profiles.
    max: usize,
    /// The most memory the named profiles are reckoned to hold ([`profile_bytes`]), in bytes.
    max_bytes: u64,
    /// Serialises changes of the set.
    changing: Mutex<()>,
    /// The directories [`Profiles::sync`] could not serve, with why, so that each is told once
    /// until the reason changes.
    refused: Mutex<BTreeMap<String, String>>,
}

/// Every profile's analyzer at one moment, to analyse several documents each naming its own
/// profile without a reload in between splitting a profile's documents across generations:
/// the set of profiles when it was taken, each profile's analyzer taken on its first use.
#[derive(Debug)]
pub struct CurrentAnalyzers {
    default: Arc<Analyzer>,
    named: Arc<NamedSet>,
    taken: Mutex<BTreeMap<Arc<str>, Arc<Analyzer>>>,
}

impl CurrentAnalyzers {
    /// The analyzer of the profile called `name` (`default` for an empty name).
    pub fn get(&self, name: &str) -> Result<Arc<Analyzer>, UnknownProfile> {
        if name.is_empty() || name == DEFAULT_PROFILE {
            return Ok(Arc::clone(&self.default));
        }
        let (name, named) = self
            .named
            .get_key_value(name)
            .ok_or_else(|| unknown(&self.named, name))?;
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(Arc::clone(
            taken
                .entry(Arc::clone(name))
                .or_insert_with(|| named.live.current()),
        ))
    }
}

/// Why there is no profile called `requested` among `named`.
fn unknown(named: &NamedSet, requested: &str) -> UnknownProfile {
    let mut available: Vec<String> = std::iter::once(DEFAULT_PROFILE.to_owned())
        .chain(named.keys().take(19).map(|n| n.to_string()))
        .collect();
    if named.len() > 19 {
        available.push("…".to_owned());
    }
    UnknownProfile {
        requested: requested.to_owned(),
        available,
    }
}

impl Profiles {
    /// Starts the default profile from `config` (word edits in `state_dir`, as
    /// [`LiveAnalyzer::start`]) and one profile for each directory of the dictionary
    /// directory's `profiles/` and each of `declared`: at most `max` named profiles. A named
    /// profile keeps its word edits in `state_dir/profiles/NAME/`, or in its own directory when
    /// no state directory is given.
    pub fn start(
        config: &AnalyzerConfig,
        state_dir: Option<&Path>,
        declared: &[ProfileSpec],
        max: usize,
    ) -> Result<Self, StartError> {
        let mut specs: Vec<(ProfileSpec, Origin)> = match profiles_dir(config) {
            Some(dir) => discover(&dir)
                .map_err(StartError::Profiles)?
                .into_iter()
                .map(|spec| (spec, Origin::Directory))
                .collect(),
            None => Vec::new(),
        };
        specs.extend(declared.iter().cloned().map(|s| (s, Origin::Declared)));
        specs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        if let Some(pair) = specs.windows(2).find(|w| w[0].0.name == w[1].0.name) {
            return Err(StartError::Profiles(format!(
                "profile `{}` is declared twice ({} and {})",
                pair[0].0.name,
                pair[0].0.dir.display(),
                pair[1].0.dir.display()
            )));
        }
        if specs.len() > max {
            return Err(StartError::TooManyProfiles {
                declared: specs.len(),
                max,
            });
        }
        let profiles = Self {
            default: Arc::new(LiveAnalyzer::start(config.clone(), state_dir)?),
            named: ArcSwap::from_pointee(NamedSet::new()),
            config: config.clone(),
            state_dir: state_dir.map(Path::to_path_buf),
            max,
            max_bytes: u64::MAX,
            changing: Mutex::new(()),
            refused: Mutex::default(),
        };
        // One after the other: built at once, the profiles' transient allocations all peak
        // together and leave the allocator holding pages (5 profiles: 330 MB built on five
        // threads, 248 to 254 MB one by one, starting 0.1 to 0.3 s later; bench/profiles.sh).
        let mut named = NamedSet::new();
        for (spec, origin) in specs {
            if !spec.dir.is_dir() {
                return Err(StartError::Profiles(format!(
                    "profile `{}`: {} is not a directory",
                    spec.name,
                    spec.dir.display()
                )));
            }
            let live = profiles
                .start_one(&spec)
                .map_err(|e| StartError::Profiles(format!("profile `{}`: {e}", spec.name)))?;
            named.insert(
                spec.name.into(),
                Named {
                    live: Arc::new(live),
                    dir: spec.dir,
                    origin,
                },
            );
        }
        profiles.named.store(Arc::new(named));
        Ok(profiles)
    }

    /// The default profile alone, serving `live`.
    pub fn only(live: Arc<LiveAnalyzer>) -> Self {
        Self {
            default: live,
            named: ArcSwap::from_pointee(NamedSet::new()),
            config: AnalyzerConfig::default(),
            state_dir: None,
            max: 0,
            max_bytes: u64::MAX,
            changing: Mutex::new(()),
            refused: Mutex::default(),
        }
    }

    /// Bounds the memory the named profiles are reckoned to hold ([`profile_bytes`]) to
    /// `max` bytes: creating or discovering a profile that would pass it is refused. An error
    /// if the profiles started already pass it.
    pub fn limit_memory(&mut self, max: u64) -> Result<(), StartError> {
        let reckoned = reckoned_bytes(&self.named.load());
        if reckoned > max {
            return Err(StartError::ProfilesTooLarge { reckoned, max });
        }
        self.max_bytes = max;
        Ok(())
    }

    /// What the named profiles are reckoned to hold ([`profile_bytes`]), in bytes.
    pub fn reckoned_bytes(&self) -> u64 {
        reckoned_bytes(&self.named.load())
    }

    /// Starts the profile `spec` describes.
    fn start_one(&self, spec: &ProfileSpec) -> Result<LiveAnalyzer, StartError> {
        let state = edits_dir(self.state_dir.as_deref(), Some(&spec.name), Some(&spec.dir));
        LiveAnalyzer::start(self.config.for_profile(spec.dir.clone()), state.as_deref())
    }

    /// The profile called `name` (`default` for an empty name).
    pub fn get(&self, name: &str) -> Result<Arc<LiveAnalyzer>, UnknownProfile> {
        self.named(name).map(|(_, live)| live)
    }

    /// The profile called `name`, with its name as logs and answers give it (`default` for an
    /// empty name).
    pub fn named(&self, name: &str) -> Result<(Arc<str>, Arc<LiveAnalyzer>), UnknownProfile> {
        if name.is_empty() || name == DEFAULT_PROFILE {
            return Ok((DEFAULT_PROFILE.into(), Arc::clone(&self.default)));
        }
        let named = self.named.load();
        named
            .get_key_value(name)
            .map(|(name, p)| (Arc::clone(name), Arc::clone(&p.live)))
            .ok_or_else(|| unknown(&named, name))
    }

    /// The default profile.
    pub fn default_profile(&self) -> &Arc<LiveAnalyzer> {
        &self.default
    }

    /// Every profile with its name, `default` first, then by name: the set at this moment.
    pub fn all(&self) -> Vec<(Arc<str>, Arc<LiveAnalyzer>)> {
        let named = self.named.load();
        std::iter::once((DEFAULT_PROFILE.into(), Arc::clone(&self.default)))
            .chain(
                named
                    .iter()
                    .map(|(name, p)| (Arc::clone(name), Arc::clone(&p.live))),
            )
            .collect()
    }

    /// How many named profiles there are.
    pub fn named_count(&self) -> usize {
        self.named.load().len()
    }

    /// Every profile's analyzer serving now (see [`CurrentAnalyzers`]).
    pub fn current(&self) -> CurrentAnalyzers {
        CurrentAnalyzers {
            default: self.default.current(),
            named: self.named.load_full(),
            taken: Mutex::default(),
        }
    }
}

/// The dictionary directory's `profiles/`, when there is a dictionary directory.
fn profiles_dir(config: &AnalyzerConfig) -> Option<PathBuf> {
    config
        .dictionary_dir
        .as_deref()
        .map(|dir| super::layout::DictionaryDir(dir).profiles())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::PROFILES_DIR_NAME;

    #[test]
    fn a_profile_is_reckoned_by_its_words_and_lines() {
        let file = |kind, entries| crate::core::SourceFile {
            kind,
            path: PathBuf::from("x"),
            content_hash: String::new(),
            entries,
        };
        let identity = DictionaryIdentity {
            generation: 1,
            files: vec![
                file(SourceKind::UserDict, 1000),
                file(SourceKind::Idf, 100),
                file(SourceKind::StopWords, 10),
            ],
            added_words: 2,
            removed_words: 1,
            content_version: String::new(),
        };
        assert_eq!(
            profile_bytes(&identity),
            16 * 1024 + 340 * (1000 + 2 + 1) + 64 * (100 + 10)
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("medical").is_ok());
        assert!(check_name("e-commerce_2").is_ok());
        for bad in ["", "default", "../x", "a.b", "-x", "名字", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let spec: ProfileSpec = "legal=/srv/legal".parse().unwrap();
        assert_eq!(spec.dir, PathBuf::from("/srv/legal"));
        assert!("legal".parse::<ProfileSpec>().is_err());
        assert!("legal=".parse::<ProfileSpec>().is_err());
    }

    #[test]
    fn profiles_come_from_the_directory_and_the_flags_within_the_bound() {
        let dict = tempfile::tempdir().unwrap();
        let profiles = dict.path().join(PROFILES_DIR_NAME);
        for name in ["medical", "..data"] {
            std::fs::create_dir_all(profiles.join(name)).unwrap();
        }
        std::fs::write(profiles.join("medical/a.dict"), "冠状动脉粥样硬化 5 n\n").unwrap();
        std::fs::write(profiles.join("README"), "not a profile").unwrap();
        let legal = tempfile::tempdir().unwrap();
        std::fs::write(legal.path().join("b.dict"), "定金罚则条款 5 n\n").unwrap();
        let config = AnalyzerConfig {
            dictionary_dir: Some(dict.path().to_path_buf()),
            ..AnalyzerConfig::default()
        };
        let declared = [ProfileSpec {
            name: "legal".into(),
            dir: legal.path().to_path_buf(),
        }];
        let state = tempfile::tempdir().unwrap();
        let all = Profiles::start(&config, Some(state.path()), &declared, 2).unwrap();
        let names: Vec<String> = all.all().iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(names, ["default", "legal", "medical"]);
        let has = |profile: &str, word: &str| all.get(profile).unwrap().current().has_word(word);
        assert!(has("medical", "冠状动脉粥样硬化") && !has("", "冠状动脉粥样硬化"));
        assert!(has("legal", "定金罚则条款") && !has("medical", "定金罚则条款"));
        assert!(has("default", "北京") && has("legal", "北京"));
        let unknown = all.get("finance").unwrap_err();
        assert_eq!(unknown.available, ["default", "legal", "medical"]);

        // A profile's word edits are its own, kept under the state directory.
        all.get("legal")
            .unwrap()
            .remove_words(vec!["北京".into()])
            .unwrap();
        assert!(!has("legal", "北京") && has("medical", "北京") && has("", "北京"));
        assert!(
            state
                .path()
                .join("profiles/legal/word-edits.state")
                .exists()
        );
        let current = all.current();
        assert!(!current.get("legal").unwrap().has_word("北京"));

        // What does not differ is held once.
        let (default, legal_now) = (current.get("").unwrap(), current.get("legal").unwrap());
        assert!(Arc::ptr_eq(
            &default.sources().idf,
            &legal_now.sources().idf
        ));
        assert!(Arc::ptr_eq(
            &default.sources().pos_hmm,
            &legal_now.sources().pos_hmm
        ));
        let model = |a: &Analyzer| Arc::clone(&a.models().iter().next().unwrap().model);
        assert!(Arc::ptr_eq(&model(&default), &model(&legal_now)));

        assert!(matches!(
            Profiles::start(&config, None, &declared, 1),
            Err(StartError::TooManyProfiles {
                declared: 2,
                max: 1
            })
        ));
        let twice = [declared[0].clone(), declared[0].clone()];
        assert!(Profiles::start(&AnalyzerConfig::default(), None, &twice, 8).is_err());
        // A directory that is not there is an error, not an empty profile.
        let missing = [ProfileSpec {
            name: "typo".into(),
            dir: legal.path().join("missing"),
        }];
        let error = Profiles::start(&AnalyzerConfig::default(), None, &missing, 8).unwrap_err();
        assert!(error.to_string().contains("is not a directory"), "{error}");
        assert!(!legal.path().join("missing").exists());
    }
}
