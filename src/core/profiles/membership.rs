//! Named profiles created and removed while the server serves, kept in the dictionary
//! directory's `profiles/` so that a restart and every replica sharing the directory see the
//! same set: [`Profiles::create`] writes a profile's words there, [`Profiles::remove`] takes
//! its directory away, and [`Profiles::sync`] (the watch) serves the directories that
//! appeared and drops those that went, whoever made or removed them.
//!
//! A directory appears and disappears whole: it is written under a name starting with a dot
//! (which [`discover`] skips) and renamed into place, and renamed to such a name before it is
//! deleted, so no replica reads a profile half-written or half-deleted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use super::super::LoadError;
use super::super::live::{LiveAnalyzer, StartError};
use super::super::word_edits::{WordEntry, WordViolation, validate_entries};
use super::{
    Named, NamedSet, Origin, ProfileSpec, Profiles, UnknownProfile, check_name, profile_bytes,
    reckoned_bytes, unknown,
};

/// The file a profile created through `Admin` holds its words in.
pub(super) const CREATED_WORDS_FILE: &str = "words.dict";

/// Why a profile could not be created or removed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileChangeError {
    /// The name is not a profile name.
    #[error("{0}")]
    BadName(String),
    /// A word of the new profile is not a word the dictionary can hold.
    #[error("{} bad words", .0.len())]
    BadWords(Vec<WordViolation>),
    /// There is a profile of that name.
    #[error("there is already a dictionary profile named `{0}`")]
    Exists(String),
    /// There is no profile of that name.
    #[error(transparent)]
    Unknown(#[from] UnknownProfile),
    /// The server holds as many profiles as `--max-profiles` allows.
    #[error("the server holds {max} named profiles, as many as --max-profiles allows")]
    TooMany {
        /// The bound.
        max: usize,
    },
    /// The named profiles would be reckoned to hold more memory than allowed.
    #[error(
        "the named profiles hold {} MB and this one {} kB by the server's reckoning, past the {} MB --max-profiles-memory-mb allows",
        .held >> 20,
        .this >> 10,
        .max >> 20
    )]
    TooLarge {
        /// What the profiles served are reckoned to hold, in bytes.
        held: u64,
        /// What the new one is reckoned to hold.
        this: u64,
        /// What they may hold.
        max: u64,
    },
    /// The server has no dictionary directory to keep profiles in.
    #[error("no dictionary directory to keep profiles in: start the server with --dictionary-dir")]
    NoDirectory,
    /// The profile was declared on the command line (or is the default one).
    #[error(
        "profile `{0}` is the server's own (the default profile, or one declared with --profile); it cannot be removed while the server runs"
    )]
    Declared(String),
    /// Its directory could not be written or taken away.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Its files do not load.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// What a [`Profiles::sync`] changed: the profiles it started and those it dropped.
#[derive(Debug, Default)]
pub struct SetChange {
    /// Started, with their analyzers.
    pub added: Vec<(Arc<str>, Arc<LiveAnalyzer>)>,
    /// Dropped.
    pub removed: Vec<Arc<str>>,
    /// Directories that could not be served, and why: tried again at each sync, told again
    /// only when the reason changes.
    pub failed: Vec<(String, String)>,
}

impl Profiles {
    /// Creates the profile `name` from `words` (a user dictionary of its own, written to
    /// `profiles/NAME/words.dict` in the dictionary directory) and serves it. Blocks: call it
    /// off the reactor.
    pub fn create(
        &self,
        name: &str,
        words: &[WordEntry],
    ) -> Result<Arc<LiveAnalyzer>, ProfileChangeError> {
        check_name(name).map_err(ProfileChangeError::BadName)?;
        if !words.is_empty() {
            validate_entries(words).map_err(ProfileChangeError::BadWords)?;
        }
        let dir = self.profiles_dir()?;
        let _changing = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let named = self.named.load_full();
        if named.contains_key(name) {
            return Err(ProfileChangeError::Exists(name.to_owned()));
        }
        if named.len() >= self.max {
            return Err(ProfileChangeError::TooMany { max: self.max });
        }
        let target = dir.join(name);
        write_profile(&dir, &target, name, words)?;
        let spec = ProfileSpec {
            name: name.to_owned(),
            dir: target.clone(),
        };
        let live = match self.start_one(&spec) {
            Ok(live) => Arc::new(live),
            Err(e) => {
                let _ = take_away(&dir, &target, name);
                return Err(e.into());
            }
        };
        if let Err(e) = self.fits(reckoned_bytes(&named), &live) {
            let _ = take_away(&dir, &target, name);
            return Err(e);
        }
        self.insert(&named, name, &live, target);
        Ok(live)
    }

    /// Removes the profile `name` (one of the dictionary directory's, not one declared on the
    /// command line): its directory and its word edits go, new calls naming it are
    /// `NOT_FOUND`, and the calls already running on it finish. Blocks: call it off the reactor.
    pub fn remove(&self, name: &str) -> Result<(), ProfileChangeError> {
        if name.is_empty() || name == super::DEFAULT_PROFILE {
            return Err(ProfileChangeError::Declared(
                super::DEFAULT_PROFILE.to_owned(),
            ));
        }
        let dir = self.profiles_dir()?;
        let _changing = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let named = self.named.load_full();
        let Some(profile) = named.get(name) else {
            return Err(unknown(&named, name).into());
        };
        if profile.origin == Origin::Declared {
            return Err(ProfileChangeError::Declared(name.to_owned()));
        }
        take_away(&dir, &profile.dir, name)?;
        if let Some(state) = &self.state_dir {
            // Its word edits, which a profile made again under this name must not inherit.
            let edits = state
                .join(super::super::layout::PROFILES_DIR_NAME)
                .join(name);
            let _ = std::fs::remove_dir_all(edits);
        }
        let mut next = NamedSet::clone(&named);
        next.remove(name);
        self.named.store(Arc::new(next));
        Ok(())
    }

    /// Follows the dictionary directory's `profiles/`: serves each directory there that is
    /// not served yet (within `--max-profiles`), and drops each profile whose directory is
    /// gone. Profiles declared on the command line stay. Blocks: call it off the reactor.
    pub fn sync(&self) -> SetChange {
        let mut change = SetChange::default();
        let Ok(dir) = self.profiles_dir() else {
            return change;
        };
        // Listed under the lock: a profile this server creates or removes meanwhile must be
        // in the listing and the set alike, or it would be dropped (or started) a moment.
        let _changing = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let found = match discover_lenient(&dir) {
            Ok(found) => found,
            Err(e) => {
                change.failed.push((dir.display().to_string(), e));
                return change;
            }
        };
        let named = self.named.load_full();
        let gone: Vec<Arc<str>> = named
            .iter()
            .filter(|(name, p)| p.origin == Origin::Directory && !found.contains_key(&***name))
            .map(|(name, _)| Arc::clone(name))
            .collect();
        let new: Vec<&ProfileSpec> = found
            .values()
            .filter(|spec| !named.contains_key(spec.name.as_str()))
            .collect();
        if gone.is_empty() && new.is_empty() {
            self.tell_once(&found, &mut change);
            return change;
        }
        let mut next = NamedSet::clone(&named);
        for name in gone {
            next.remove(&name);
            change.removed.push(name);
        }
        // What the set holds, kept as profiles join it (not summed again for each).
        let mut held = reckoned_bytes(&next);
        for spec in new {
            if next.len() >= self.max {
                change.failed.push((
                    spec.name.clone(),
                    format!("more than --max-profiles ({}) profiles", self.max),
                ));
                continue;
            }
            match self.start_one(spec) {
                Ok(live) => {
                    let live = Arc::new(live);
                    match self.fits(held, &live) {
                        Ok(this) => held = held.saturating_add(this),
                        Err(e) => {
                            change.failed.push((spec.name.clone(), e.to_string()));
                            continue;
                        }
                    }
                    next.insert(
                        spec.name.as_str().into(),
                        Named {
                            live: Arc::clone(&live),
                            dir: spec.dir.clone(),
                            origin: Origin::Directory,
                        },
                    );
                    change.added.push((spec.name.as_str().into(), live));
                }
                Err(e) => change.failed.push((spec.name.clone(), e.to_string())),
            }
        }
        self.named.store(Arc::new(next));
        self.tell_once(&found, &mut change);
        change
    }

    /// Keeps in `change.failed` only the refusals not told before, and forgets those of
    /// directories served or gone.
    fn tell_once(
        &self,
        found: &std::collections::BTreeMap<String, ProfileSpec>,
        change: &mut SetChange,
    ) {
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        let named = self.named.load();
        refused.retain(|name, _| found.contains_key(name) && !named.contains_key(name.as_str()));
        change
            .failed
            .retain(|(name, why)| refused.insert(name.clone(), why.clone()).as_ref() != Some(why));
    }

    /// Whether `live` may join profiles that hold `held` bytes (as [`reckoned_bytes`] reckons
    /// them) within the memory the profiles may hold; if so, what it adds.
    fn fits(&self, held: u64, live: &LiveAnalyzer) -> Result<u64, ProfileChangeError> {
        let this = profile_bytes(live.current().identity());
        if held.saturating_add(this) > self.max_bytes {
            return Err(ProfileChangeError::TooLarge {
                held,
                this,
                max: self.max_bytes,
            });
        }
        Ok(this)
    }

    fn profiles_dir(&self) -> Result<PathBuf, ProfileChangeError> {
        super::profiles_dir(&self.config).ok_or(ProfileChangeError::NoDirectory)
    }

    fn insert(&self, named: &NamedSet, name: &str, live: &Arc<LiveAnalyzer>, dir: PathBuf) {
        let mut next = named.clone();
        next.insert(
            name.into(),
            Named {
                live: Arc::clone(live),
                dir,
                origin: Origin::Directory,
            },
        );
        self.named.store(Arc::new(next));
    }
}

/// Writes the profile `name` with `words` at `target` (in `dir`), whole: into a hidden
/// directory first, renamed into place. `Exists` if a profile directory of that name is there
/// (another replica made it first).
fn write_profile(
    dir: &Path,
    target: &Path,
    name: &str,
    words: &[WordEntry],
) -> Result<(), ProfileChangeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProfileChangeError::Io { path, source }
    };
    if target.exists() {
        return Err(ProfileChangeError::Exists(name.to_owned()));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let hidden = dir.join(format!(".{name}.new-{}", unique()));
    std::fs::create_dir(&hidden).map_err(io(&hidden))?;
    let mut text = String::new();
    for entry in words {
        text.push_str(&entry.word);
        if let Some(freq) = entry.freq {
            text.push_str(&format!(" {freq}"));
        }
        if let Some(tag) = &entry.tag {
            text.push(' ');
            text.push_str(tag);
        }
        text.push('\n');
    }
    let file = hidden.join(CREATED_WORDS_FILE);
    let written = std::fs::write(&file, text)
        .and_then(|()| std::fs::File::open(&file)?.sync_all())
        .map_err(io(&file));
    let renamed = written.and_then(|()| match std::fs::rename(&hidden, target) {
        Ok(()) => Ok(()),
        // Another replica's directory of that name got there first.
        Err(e) if target.exists() || e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
            Err(ProfileChangeError::Exists(name.to_owned()))
        }
        Err(e) => Err(io(target)(e)),
    });
    if renamed.is_err() {
        let _ = std::fs::remove_dir_all(&hidden);
    }
    renamed
}

/// Takes the profile directory `target` away, whole: renamed to a hidden name, then deleted.
/// Already gone (another replica removed it) is not an error.
fn take_away(dir: &Path, target: &Path, name: &str) -> Result<(), ProfileChangeError> {
    let hidden = dir.join(format!(".{name}.removed-{}", unique()));
    match std::fs::rename(target, &hidden) {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&hidden);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ProfileChangeError::Io {
            path: target.to_path_buf(),
            source,
        }),
    }
}

/// A name no other process or call of this one uses at the same time.
fn unique() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos}-{n}", std::process::id())
}

/// The profiles of a `profiles/` directory: each subdirectory (following symbolic links) whose
/// name does not start with a dot (a Kubernetes volume's `..data`, a profile being written or
/// taken away), by name. No such directory: none. A name that is not a profile name is an
/// error.
pub(super) fn discover(dir: &Path) -> Result<Vec<ProfileSpec>, String> {
    let mut specs = Vec::new();
    for (name, path) in subdirectories(dir).map_err(|e| e.to_string())? {
        check_name(&name).map_err(|e| format!("{}: {e}", dir.join(&name).display()))?;
        specs.push(ProfileSpec { name, dir: path });
    }
    Ok(specs)
}

/// [`discover`] for the watch: a directory whose name is not a profile name is left out.
fn discover_lenient(dir: &Path) -> Result<std::collections::BTreeMap<String, ProfileSpec>, String> {
    Ok(subdirectories(dir)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(name, _)| check_name(name).is_ok())
        .map(|(name, path)| (name.clone(), ProfileSpec { name, dir: path }))
        .collect())
}

fn subdirectories(dir: &Path) -> Result<Vec<(String, PathBuf)>, LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.starts_with('.') && path.is_dir() {
            found.push((name, path));
        }
    }
    Ok(found)
}
