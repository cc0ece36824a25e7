//! The cutting of long texts into pieces, so that a deadline is checked between them and
//! tokens can be handed over as each piece is done.

use super::segmenter::{is_block_char, is_posseg_block_char, is_space};
use super::token::Origin;
use super::{Deadline, DeadlineExceeded, Token};

/// Long texts are segmented in pieces of about this many bytes, so that a deadline is checked
/// every few milliseconds of work at most. Pieces end where every mode of Python jieba ends a
/// token whatever follows (`is_boundary` below), so the pieces' tokens are exactly the whole text's
/// (the parity tests hold on every seed, each several pieces long).
pub const PIECE_BYTES: usize = 16 * 1024;

/// Whether every mode's tokens of a text are those of its part before `next` followed by those
/// of the rest, when `prev` is the last character before the cut and `next` the first after:
/// after white space (but not between `\r` and `\n`), or where a block of either rule begins
/// after a character outside every block. Blocks are cut on their own, and the text between them
/// is cut at each white-space character, so neither side can see across.
fn is_boundary(prev: char, next: char) -> bool {
    if is_space(prev) {
        !(prev == '\r' && next == '\n')
    } else {
        !is_block_char(prev) && is_posseg_block_char(next)
    }
}

/// The length of the first piece of `rest` for jieba's modes: about [`PIECE_BYTES`] (see
/// there); a text with no boundary after that many bytes stays in one piece up to the next one.
pub(crate) fn jieba_piece_len(rest: &str) -> usize {
    if rest.len() <= PIECE_BYTES {
        return rest.len();
    }
    let from = (PIECE_BYTES..rest.len())
        .find(|&i| rest.is_char_boundary(i))
        .unwrap_or(rest.len());
    let mut prev = rest[..from].chars().next_back();
    rest[from..]
        .char_indices()
        .find(|&(_, c)| {
            let found = prev.is_some_and(|p| is_boundary(p, c));
            prev = Some(c);
            found
        })
        .map_or(rest.len(), |(i, _)| from + i)
}

/// Splits `text` into pieces, each as long as `piece_len` says of the rest of the text.
fn pieces(text: &str, piece_len: fn(&str) -> usize) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut offset = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = piece_len(rest).clamp(1, rest.len());
        let cut = (cut..=rest.len())
            .find(|&i| rest.is_char_boundary(i))
            .unwrap_or(rest.len());
        let (piece, tail) = rest.split_at(cut);
        let item = (offset, piece);
        offset += cut;
        rest = tail;
        Some(item)
    })
}

/// Cuts `text` piece by piece with `cut`, checking `deadline` before each piece, and hands each
/// piece's tokens to `visit`. Pieces are as long as `piece_len` says of the rest of the text
/// ([`jieba_piece_len`] for jieba's modes). `cut` gets each piece with where it starts in
/// `text`, and gives its tokens with offsets into `text` ([`Origin::place`] moves them there).
pub(crate) fn each_piece<'a>(
    text: &'a str,
    piece_len: fn(&str) -> usize,
    deadline: Deadline,
    cut: impl Fn(&'a str, Origin) -> Vec<Token<'a>>,
    mut visit: impl FnMut(Vec<Token<'a>>),
) -> Result<(), DeadlineExceeded> {
    // The empty text has no pieces; its deadline is checked all the same.
    if text.is_empty() {
        deadline.check()?;
    }
    let mut chars = 0;
    for (bytes, piece) in pieces(text, piece_len) {
        deadline.check()?;
        visit(cut(piece, Origin { chars, bytes }));
        if bytes + piece.len() < text.len() {
            chars += piece.chars().count();
        }
    }
    Ok(())
}

/// Collects the tokens of the pieces [`each_piece`] hands over; the first is kept, not copied,
/// so a text of one piece costs no more than its tokens.
pub(crate) fn collect_into<'a>(all: &mut Vec<Token<'a>>, piece: Vec<Token<'a>>) {
    if all.is_empty() {
        *all = piece;
    } else {
        all.extend(piece);
    }
}

/// [`each_piece`], collecting the tokens.
pub(crate) fn by_pieces<'a>(
    text: &'a str,
    piece_len: fn(&str) -> usize,
    deadline: Deadline,
    cut: impl Fn(&'a str, Origin) -> Vec<Token<'a>>,
) -> Result<Vec<Token<'a>>, DeadlineExceeded> {
    let mut tokens = Vec::new();
    each_piece(text, piece_len, deadline, cut, |piece| {
        collect_into(&mut tokens, piece)
    })?;
    Ok(tokens)
}
