//! The Traditional-to-Simplified tables, generated at build time from OpenCC's (see
//! `build/script_tables.rs`), and their lookups.

include!(concat!(env!("OUT_DIR"), "/script_tables.rs"));

// The entry layout (`TRADITIONAL`, `SIMPLIFIED`, `GROUP_SHIFT`) comes with the tables.

/// The character an entry converts to (none when 0).
pub(super) const TARGET: u32 = (1 << GROUP_SHIFT) - 1;
/// The group bits.
pub(super) const GROUP: u32 = 0xff << GROUP_SHIFT;

/// What the tables say of `c`: the character it converts to and its flags; 0 for a character
/// they do not name.
#[inline]
pub(super) fn entry(c: char) -> u32 {
    let code = u32::from(c);
    if code < 0x1_0000 {
        bmp_entry(code)
    } else {
        ASTRAL
            .binary_search_by_key(&c, |&(key, _)| key)
            .map_or(0, |i| ASTRAL[i].1)
    }
}

/// The entry of the character of the Basic Multilingual Plane `code`.
#[inline]
pub(super) fn bmp_entry(code: u32) -> u32 {
    BMP.get(code.wrapping_sub(BMP_FIRST) as usize)
        .copied()
        .unwrap_or(0)
}

/// The longest phrase that `rest` starts with, as (Traditional, Simplified), given the entry
/// of its first character (`first_len` bytes long, with a group of phrases); the two have the
/// same length in bytes.
#[inline]
pub(super) fn phrase_at(
    entry: u32,
    first_len: usize,
    rest: &str,
) -> Option<(&'static str, &'static str)> {
    let group = ((entry & GROUP) >> GROUP_SHIFT) as usize;
    let &(from, to) = PHRASE_GROUPS.get(group.checked_sub(1)?)?;
    let second = rest.get(first_len..)?.chars().next()?;
    PHRASES[usize::from(from)..usize::from(to)]
        .iter()
        .find(|(phrase, _, s)| *s == second && rest.starts_with(phrase))
        .map(|&(from, to, _)| (from, to))
}
