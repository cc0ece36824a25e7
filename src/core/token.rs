//! [`Token`]: one word of a text, with its offsets.

/// One word of a text, borrowed from it, with its offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word, a slice of the text.
    pub word: &'a str,
    /// Start offset in Unicode code points.
    pub start: usize,
    /// End offset (exclusive) in Unicode code points.
    pub end: usize,
    /// Start offset in UTF-8 bytes.
    pub byte_start: usize,
    /// End offset (exclusive) in UTF-8 bytes.
    pub byte_end: usize,
    /// The part-of-speech tag, when asked for.
    pub pos: Option<&'a str>,
}

impl<'a> From<&jieba_rs::Token<'a>> for Token<'a> {
    fn from(t: &jieba_rs::Token<'a>) -> Self {
        Token {
            word: t.word,
            start: t.start,
            end: t.end,
            byte_start: t.byte_start,
            byte_end: t.byte_end,
            pos: None,
        }
    }
}

impl<'a> Token<'a> {
    /// The token with its offsets moved on by `chars` code points and `bytes` bytes: from a
    /// piece of a text to the whole.
    pub(crate) fn shifted(self, chars: usize, bytes: usize) -> Self {
        Token {
            start: self.start + chars,
            end: self.end + chars,
            byte_start: self.byte_start + bytes,
            byte_end: self.byte_end + bytes,
            ..self
        }
    }
}

/// Where a piece of a text starts in the whole text (see `pieces`): its first character's offsets there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// In code points.
    pub(crate) chars: usize,
    /// In bytes.
    pub(crate) bytes: usize,
}

impl Origin {
    /// `tokens` of the piece, with offsets into the whole text (the first piece's are already).
    pub(crate) fn place(self, tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
        if self.bytes == 0 {
            tokens
        } else {
            let Self { chars, bytes } = self;
            tokens
                .into_iter()
                .map(|t| t.shifted(chars, bytes))
                .collect()
        }
    }
}
