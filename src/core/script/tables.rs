//! The Traditional-to-Simplified tables, generated at build time from OpenCC's (see
//! `build/script_tables.rs`), and their lookups.

include!(concat!(env!("OUT_DIR"), "/script_tables.rs"));

/// The character an entry converts to (none when 0).
pub(super) const TARGET: u32 = (1 << 21) - 1;
/// The character is written only in Traditional text (a Traditional form that is no Simplified
/// one).
pub(super) const TRADITIONAL: u32 = 1 << 31;
/// The character is written only in Simplified text.
pub(super) const SIMPLIFIED: u32 = 1 << 30;
/// A phrase converted as a whole starts with the character.
pub(super) const PHRASE: u32 = 1 << 29;

/// What the tables say of `c`: the character it converts to and its flags; 0 for a character
/// they do not name.
#[inline]
pub(super) fn entry(c: char) -> u32 {
    let code = u32::from(c);
    if code < 0x1_0000 {
        BMP.get(code.wrapping_sub(BMP_FIRST) as usize)
            .copied()
            .unwrap_or(0)
    } else {
        ASTRAL
            .binary_search_by_key(&c, |&(key, _)| key)
            .map_or(0, |i| ASTRAL[i].1)
    }
}

/// The longest phrase that `rest` starts with, as (Traditional, Simplified); the two have the
/// same length in bytes.
pub(super) fn phrase_at(rest: &str) -> Option<(&'static str, &'static str)> {
    let first = rest.chars().next()?;
    let mut key = [0; 4];
    let key = first.encode_utf8(&mut key);
    let from = PHRASES.partition_point(|(phrase, _)| *phrase < &*key);
    PHRASES[from..]
        .iter()
        .take_while(|(phrase, _)| phrase.starts_with(&*key))
        .filter(|(phrase, _)| rest.starts_with(phrase))
        .max_by_key(|(phrase, _)| phrase.len())
        .copied()
}
