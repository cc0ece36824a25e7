//! [`DictionaryIdentity`]: which dictionary an analyzer serves, and its content version.

use super::builtin::BUILTIN_DICT_SHA256;
use super::sha256_hex;
use super::sources::{SourceFile, Sources};
use super::word_edits::WordEdits;

/// Which dictionary an analyzer serves: shown by `ListModels` and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryIdentity {
    /// Counts the analyzers swapped in since start-up (the first is 1).
    pub generation: u64,
    /// The files read, in the order applied.
    pub files: Vec<SourceFile>,
    /// Words added at run time.
    pub added_words: usize,
    /// Words removed at run time.
    pub removed_words: usize,
    /// A digest of everything that decides the answers (see [`content_version`]).
    pub content_version: String,
}

/// The content version of an analyzer built from `sources` and `edits`: the first 16 hex digits
/// of a SHA-256 over the built-in dictionary's hash, each file's kind and content hash in the
/// order applied, each model's name and content hash, the default model, the segmentation
/// model's content hash, and the word edits in
/// their canonical (sorted) form. Paths, times and the order in which edits arrived do not
/// enter it, so replicas that serve the same data report the same version.
pub(crate) fn content_version(sources: &Sources, edits: &WordEdits) -> String {
    use std::fmt::Write as _;
    let mut text = format!("textanalysis content 1\nbuiltin\t{BUILTIN_DICT_SHA256}\n");
    for file in &sources.files {
        let _ = writeln!(text, "{:?}\t{}", file.kind, file.content_hash);
    }
    for model in sources.models.iter() {
        let _ = writeln!(text, "model\t{}\t{}", model.name, model.content_hash);
    }
    let _ = writeln!(
        text,
        "default model\t{}",
        sources.models.default_name().unwrap_or("")
    );
    let _ = writeln!(text, "segmenter\t{}", sources.segmenter.content_hash());
    text.push_str(&edits.encode());
    version_of(&text)
}

/// The version of a set of profiles, each given as its name and content version: the first 16
/// hex digits of a SHA-256 over them sorted by name. Replicas that serve the same profiles with
/// the same data report the same version, however many profiles there are.
pub fn profiles_version<'a>(profiles: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut profiles: Vec<(&str, &str)> = profiles.into_iter().collect();
    profiles.sort_unstable();
    let mut text = String::from("textanalysis profiles 1\n");
    for (name, version) in profiles {
        text.push_str(name);
        text.push('\t');
        text.push_str(version);
        text.push('\n');
    }
    version_of(&text)
}

/// A version: the first 16 hex digits of `text`'s SHA-256.
fn version_of(text: &str) -> String {
    let mut digest = sha256_hex(text.as_bytes());
    digest.truncate(16);
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_profiles_has_one_version_whatever_the_order() {
        let one = profiles_version([("default", "aa"), ("shop", "bb"), ("clinic", "cc")]);
        assert_eq!(one.len(), 16);
        assert_eq!(
            one,
            profiles_version([("clinic", "cc"), ("default", "aa"), ("shop", "bb")])
        );
        assert_ne!(one, profiles_version([("default", "aa"), ("shop", "bb")]));
        assert_ne!(
            one,
            profiles_version([("default", "aa"), ("shop", "bx"), ("clinic", "cc")])
        );
    }
}
