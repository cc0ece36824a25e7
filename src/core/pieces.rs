//! The cutting of long texts into pieces, so that a deadline is checked between them and
//! tokens can be handed over as each piece is done.

use super::{Deadline, DeadlineExceeded, Token};

/// Long texts are segmented in pieces of about this many bytes, so that a deadline is checked
/// every few milliseconds of work at most. Pieces end just after a full-width sentence end
/// (`。！？；`), which every jieba mode yields as a token of its own, so the pieces' tokens are
/// exactly the whole text's (the parity tests hold on every seed, each several pieces long).
pub const PIECE_BYTES: usize = 16 * 1024;

/// Splits `text` into pieces of about [`PIECE_BYTES`] (see there); a text with no sentence end
/// after that many bytes stays in one piece up to the next one.
fn pieces(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut offset = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= PIECE_BYTES {
            rest.len()
        } else {
            let from = (PIECE_BYTES..rest.len())
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(rest.len());
            rest[from..]
                .char_indices()
                .find(|&(_, c)| matches!(c, '。' | '！' | '？' | '；'))
                .map_or(rest.len(), |(i, c)| from + i + c.len_utf8())
        };
        let (piece, tail) = rest.split_at(cut);
        let item = (offset, piece);
        offset += cut;
        rest = tail;
        Some(item)
    })
}

/// Cuts `text` piece by piece with `cut`, checking `deadline` before each piece, and hands each
/// piece's tokens to `visit`, their offsets shifted to the whole text's.
pub(crate) fn each_piece<'a, I: IntoIterator<Item = Token<'a>>>(
    text: &'a str,
    deadline: Deadline,
    cut: impl Fn(&'a str) -> I,
    mut visit: impl FnMut(Vec<Token<'a>>),
) -> Result<(), DeadlineExceeded> {
    // The empty text has no pieces; its deadline is checked all the same.
    if text.is_empty() {
        deadline.check()?;
    }
    let mut chars = 0;
    for (bytes, piece) in pieces(text) {
        deadline.check()?;
        visit(
            cut(piece)
                .into_iter()
                .map(|t| Token {
                    start: t.start + chars,
                    end: t.end + chars,
                    byte_start: t.byte_start + bytes,
                    byte_end: t.byte_end + bytes,
                    ..t
                })
                .collect(),
        );
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
pub(crate) fn by_pieces<'a, I: IntoIterator<Item = Token<'a>>>(
    text: &'a str,
    deadline: Deadline,
    cut: impl Fn(&'a str) -> I,
) -> Result<Vec<Token<'a>>, DeadlineExceeded> {
    let mut tokens = Vec::new();
    each_piece(text, deadline, cut, |piece| {
        collect_into(&mut tokens, piece)
    })?;
    Ok(tokens)
}
