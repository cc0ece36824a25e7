//! Segmented corpora: the PKU format (`word/TAG` separated by spaces, one sentence a line, as
//! People's Daily 1998) and the SIGHAN bakeoff format (words separated by spaces, no tags).

use std::path::Path;

use crate::core::{LoadError, read_text};

/// One sentence of a corpus: its words, and their tags when the corpus has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// The words, in order.
    pub words: Vec<String>,
    /// Each word's part-of-speech tag (empty in an untagged corpus).
    pub tags: Vec<String>,
}

impl Sentence {
    /// The sentence's text: its words joined.
    pub fn text(&self) -> String {
        self.words.concat()
    }
}

/// A corpus read from a file.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The sentences, each with its 0-based line number in the file.
    pub sentences: Vec<(usize, Sentence)>,
    /// Whether the words carry tags (the PKU format).
    pub tagged: bool,
    /// Lines skipped as malformed.
    pub skipped: usize,
}

/// Why a corpus cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A line of a tagged corpus has a word without a tag.
    #[error(
        "{path}:{line}: `{token}` has no /TAG, though the corpus is tagged (its first sentence is)"
    )]
    Untagged {
        /// The corpus file.
        path: String,
        /// The line, from 1.
        line: usize,
        /// The token at fault.
        token: String,
    },
}

/// A token's word and tag, if it is `word/TAG` with a tag of ASCII letters (brackets of the
/// full PKU corpus's compound names, `[中央/n` and `电台/n]nt`, dropped).
fn split_tagged(token: &str) -> Option<(&str, &str)> {
    let token = token
        .strip_prefix('[')
        .filter(|t| !t.is_empty())
        .unwrap_or(token);
    let token = match token.rfind(']') {
        Some(at) if at > 0 && token[at + 1..].bytes().all(|b| b.is_ascii_alphabetic()) => {
            &token[..at]
        }
        _ => token,
    };
    let (word, tag) = token.rsplit_once('/')?;
    (!word.is_empty() && !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_alphabetic()))
        .then_some((word, tag))
}

/// Reads a corpus. Its format is its first sentence's: tagged if every token there is
/// `word/TAG`. Blank lines are skipped; in a tagged corpus, a token without a tag is an error
/// (or, with `skip_bad_lines`, its line is skipped and counted).
pub fn read_corpus(path: &Path, skip_bad_lines: bool) -> Result<Corpus, CorpusError> {
    parse_corpus(&read_text(path)?, path, skip_bad_lines)
}

/// [`read_corpus`] of a text already read.
pub fn parse_corpus(text: &str, path: &Path, skip_bad_lines: bool) -> Result<Corpus, CorpusError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut corpus = Corpus::default();
    let mut format_known = false;
    for (number, line) in text.lines().enumerate() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        if !format_known {
            corpus.tagged = tokens.iter().all(|t| split_tagged(t).is_some());
            format_known = true;
        }
        let mut sentence = Sentence {
            words: Vec::with_capacity(tokens.len()),
            tags: Vec::new(),
        };
        if corpus.tagged {
            let mut bad = None;
            for token in &tokens {
                match split_tagged(token) {
                    Some((word, tag)) => {
                        sentence.words.push(word.to_owned());
                        sentence.tags.push(tag.to_owned());
                    }
                    None => {
                        bad = Some(*token);
                        break;
                    }
                }
            }
            if let Some(token) = bad {
                if skip_bad_lines {
                    corpus.skipped += 1;
                    continue;
                }
                return Err(CorpusError::Untagged {
                    path: path.display().to_string(),
                    line: number + 1,
                    token: token.to_owned(),
                });
            }
        } else {
            sentence.words = tokens.iter().map(|t| (*t).to_owned()).collect();
        }
        corpus.sentences.push((number, sentence));
    }
    Ok(corpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Corpus {
        parse_corpus(text, Path::new("corpus"), false).unwrap()
    }

    #[test]
    fn reads_the_pku_format() {
        let corpus = parse("迈向/v  充满/v  希望/n\n\n［/w  [中央/n  电台/n]nt  ６９／７０/m\n");
        assert!(corpus.tagged);
        assert_eq!(corpus.sentences.len(), 2);
        let (line, s) = &corpus.sentences[1];
        assert_eq!(*line, 2);
        assert_eq!(s.words, ["［", "中央", "电台", "６９／７０"]);
        assert_eq!(s.tags, ["w", "n", "n", "m"]);
        assert_eq!(s.text(), "［中央电台６９／７０");
    }

    #[test]
    fn reads_the_sighan_format() {
        let corpus = parse("共同  创造  美好  的  新  世纪\n１９９７年 ， 是\n");
        assert!(!corpus.tagged);
        assert_eq!(corpus.sentences[1].1.words, ["１９９７年", "，", "是"]);
        assert!(corpus.sentences[1].1.tags.is_empty());
    }

    #[test]
    fn an_untagged_word_in_a_tagged_corpus_is_an_error_or_skipped() {
        let text = "迈向/v  希望/n\n充满  希望/n\n";
        let err = parse_corpus(text, Path::new("c.txt"), false).unwrap_err();
        assert!(err.to_string().starts_with("c.txt:2: `充满`"), "{err}");
        let corpus = parse_corpus(text, Path::new("c.txt"), true).unwrap();
        assert_eq!((corpus.sentences.len(), corpus.skipped), (1, 1));
    }
}
