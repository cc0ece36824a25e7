//! Profile names: what a name may be, and a profile declared on the command line.

use std::path::PathBuf;
use std::str::FromStr;

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
pub(crate) fn check_name(name: &str) -> Result<(), String> {
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
