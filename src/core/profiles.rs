//! Named dictionary profiles: one server, several vocabularies (a medical search, a legal
//! archive, a shop), each request choosing one by name.
//!
//! A profile is the built-in dictionary plus its own user dictionaries, and optionally its own
//! IDF table and stop words, all in one directory; it keeps its own word edits and is reloaded
//! on its own ([`LiveAnalyzer`]). The unnamed profile, `default`, is the server's configuration
//! as it was before profiles (flags and dictionary directory). Profiles share what does not
//! differ: the built-in IDF table, the tagging HMM and the models are loaded once (see
//! [`crate::core::Sources`]), and so is jieba's dictionary: each profile's holds only what
//! its files change of it (the overlay of `core/dictionary`; BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use super::layout::{DictionaryDir, edits_dir};
use super::live::{LiveAnalyzer, StartError};
use super::{Analyzer, AnalyzerConfig, LoadError};

/// The name of the profile a request gets when it names none (an empty name means it too).
pub const DEFAULT_PROFILE: &str = "default";

/// The longest profile name.
pub const MAX_PROFILE_NAME_CHARS: usize = 64;

/// What a profile name may be, for error messages.
pub const PROFILE_NAME_RULE: &str = "a profile name is 1 to 64 ASCII letters, digits, `-` and \
                                     `_`, starting with a letter or digit";

/// A profile declared on the command line: `NAME=DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    /// The name requests use.
    pub name: String,
    /// The directory holding its files.
    pub dir: PathBuf,
}

impl FromStr for ProfileSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (name, dir) = spec
            .split_once('=')
            .ok_or_else(|| format!("`{spec}` is not NAME=DIR"))?;
        check_name(name)?;
        if dir.is_empty() {
            return Err(format!("profile `{name}` names no directory"));
        }
        Ok(Self {
            name: name.to_owned(),
            dir: PathBuf::from(dir),
        })
    }
}

/// Whether `name` can name a profile (it also becomes a directory name under the state
/// directory, so it holds no path separator or dot).
fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=MAX_PROFILE_NAME_CHARS).contains(&name.len())
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(format!("`{name}`: {PROFILE_NAME_RULE}"));
    }
    if name == DEFAULT_PROFILE {
        return Err(format!(
            "`{DEFAULT_PROFILE}` names the unnamed profile and cannot be declared"
        ));
    }
    Ok(())
}

/// A request named a profile the server does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no dictionary profile named `{requested}`; profiles: {}", available.join(", "))]
pub struct UnknownProfile {
    /// The name asked for.
    pub requested: String,
    /// The profiles that exist, `default` first.
    pub available: Vec<String>,
}

/// One profile: its name and its analyzer in service.
#[derive(Debug)]
struct Profile {
    name: Arc<str>,
    live: Arc<LiveAnalyzer>,
}

/// Every profile the server serves, `default` first, then the named ones by name. Share it as
/// `Arc<Profiles>`; the set is fixed at start-up, each profile's dictionary changes on its own.
#[derive(Debug)]
pub struct Profiles {
    all: Vec<Profile>,
}

/// Every profile's analyzer at one moment, to analyse several documents each naming its own
/// profile without a reload in between splitting them across generations.
#[derive(Debug, Clone)]
pub struct CurrentAnalyzers(Vec<(Arc<str>, Arc<Analyzer>)>);

impl CurrentAnalyzers {
    /// The analyzer of the profile called `name` (`default` for an empty name).
    pub fn get(&self, name: &str) -> Result<&Arc<Analyzer>, UnknownProfile> {
        find(&self.0, |(n, _)| n, name).map(|(_, analyzer)| analyzer)
    }
}

/// The entry of `items` (the default first) called `name`, or why there is none.
fn find<'a, T>(
    items: &'a [T],
    name_of: impl Fn(&T) -> &str,
    name: &str,
) -> Result<&'a T, UnknownProfile> {
    if (name.is_empty() || name == DEFAULT_PROFILE)
        && let Some(default) = items.first()
    {
        return Ok(default);
    }
    items
        .iter()
        .skip(1)
        .find(|item| name_of(item) == name)
        .ok_or_else(|| UnknownProfile {
            requested: name.to_owned(),
            available: items.iter().map(|i| name_of(i).to_owned()).collect(),
        })
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
        let mut specs = match &config.dictionary_dir {
            Some(dir) => discover(&DictionaryDir(dir).profiles())?,
            None => Vec::new(),
        };
        specs.extend(declared.iter().cloned());
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(pair) = specs.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(StartError::Profiles(format!(
                "profile `{}` is declared twice ({} and {})",
                pair[0].name,
                pair[0].dir.display(),
                pair[1].dir.display()
            )));
        }
        if specs.len() > max {
            return Err(StartError::TooManyProfiles {
                declared: specs.len(),
                max,
            });
        }
        // One after the other: built at once, the profiles' transient allocations all peak
        // together and leave the allocator holding pages (5 profiles: 330 MB built on five
        // threads, 248 to 254 MB one by one, starting 0.1 to 0.3 s later; bench/profiles.sh).
        let mut started = vec![LiveAnalyzer::start(config.clone(), state_dir)?];
        for spec in &specs {
            if !spec.dir.is_dir() {
                return Err(StartError::Profiles(format!(
                    "profile `{}`: {} is not a directory",
                    spec.name,
                    spec.dir.display()
                )));
            }
            let state = edits_dir(state_dir, Some(&spec.name), Some(&spec.dir));
            let profile = config.for_profile(spec.dir.clone());
            let live = LiveAnalyzer::start(profile, state.as_deref())
                .map_err(|e| StartError::Profiles(format!("profile `{}`: {e}", spec.name)))?;
            started.push(live);
        }
        let names = std::iter::once(DEFAULT_PROFILE).chain(specs.iter().map(|s| s.name.as_str()));
        Ok(Self {
            all: names
                .zip(started)
                .map(|(name, live)| Profile {
                    name: name.into(),
                    live: Arc::new(live),
                })
                .collect(),
        })
    }

    /// The default profile alone, serving `live`.
    pub fn only(live: Arc<LiveAnalyzer>) -> Self {
        Self {
            all: vec![Profile {
                name: DEFAULT_PROFILE.into(),
                live,
            }],
        }
    }

    /// The profile called `name` (`default` for an empty name).
    pub fn get(&self, name: &str) -> Result<&Arc<LiveAnalyzer>, UnknownProfile> {
        self.named(name).map(|(_, live)| live)
    }

    /// The profile called `name`, with its name as logs and answers give it (`default` for an
    /// empty name).
    pub fn named(&self, name: &str) -> Result<(&str, &Arc<LiveAnalyzer>), UnknownProfile> {
        find(&self.all, |p| &p.name, name).map(|p| (&*p.name, &p.live))
    }

    /// The default profile.
    pub fn default_profile(&self) -> &Arc<LiveAnalyzer> {
        &self.all[0].live
    }

    /// Every profile with its name, `default` first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<LiveAnalyzer>)> {
        self.all.iter().map(|p| (&*p.name, &p.live))
    }

    /// Every profile's analyzer serving now.
    pub fn current(&self) -> CurrentAnalyzers {
        CurrentAnalyzers(
            self.all
                .iter()
                .map(|p| (Arc::clone(&p.name), p.live.current()))
                .collect(),
        )
    }
}

/// The profiles of a `profiles/` directory: each subdirectory (following symbolic links) whose
/// name does not start with a dot (a Kubernetes volume's `..data`), by name. No such directory:
/// none.
fn discover(dir: &Path) -> Result<Vec<ProfileSpec>, StartError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e).into()),
    };
    let mut specs = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        check_name(&name)
            .map_err(|e| StartError::Profiles(format!("{}: {e}", dir.join(&name).display())))?;
        specs.push(ProfileSpec { name, dir: path });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::PROFILES_DIR_NAME;

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
        let names: Vec<&str> = all.iter().map(|(n, _)| n).collect();
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
        assert!(Arc::ptr_eq(&model(default), &model(legal_now)));

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
