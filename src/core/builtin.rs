//! The data built into the binary: jieba's dictionary (and the segmenter made of it), the IDF
//! table and tagging HMM every analyzer shares, and the default classification model.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;

use super::IdfTable;
use super::segmenter::pos_hmm::PosHmm;

/// The name of the model built into the binary, trained from `data/sentiment/train.tsv`.
pub(crate) const BUILTIN_MODEL_NAME: &str = "sentiment";

/// Bytes aligned for reading `f32`s in place (the built-in model's weights).
#[cfg(builtin_model)]
#[repr(C, align(16))]
struct Aligned<T: ?Sized>(T);

#[cfg(builtin_model)]
static BUILTIN_MODEL_BYTES: &Aligned<[u8]> =
    &Aligned(*include_bytes!("../../models/sentiment.model"));
#[cfg(builtin_model)]
pub(crate) const BUILTIN_MODEL: Option<&'static [u8]> = Some(&BUILTIN_MODEL_BYTES.0);
#[cfg(not(builtin_model))]
pub(crate) const BUILTIN_MODEL: Option<&'static [u8]> = None;

/// jieba's dictionary (see `data/jieba/README.md`), embedded in the binary.
pub(crate) const BUILTIN_DICT: &str = include_str!("../../data/jieba/dict.txt");

/// Names the built-in dictionary in [`DictionaryIdentity`].
pub const BUILTIN_DICT_NAME: &str = "jieba dict.txt (as in jieba-rs 0.11.0)";

/// The SHA-256 of the built-in dictionary, in hex (a unit test keeps it true).
pub const BUILTIN_DICT_SHA256: &str =
    "139519822fe8ab9e10d9d07e68ea0451045380aedaf54ecc51e2a28c6b42a13f";

/// The most characters in a word of the built-in dictionary (a unit test keeps it true): a
/// constant, so that start-up does not read every line of the dictionary once more to count
/// them.
pub(crate) const BUILTIN_LONGEST_WORD: usize = 16;

/// The sum of the built-in dictionary's frequencies (a unit test keeps it true), so that a
/// dictionary over it knows its total without reading every line.
pub(crate) const BUILTIN_TOTAL: usize = 60_101_964;

/// A jieba-rs segmenter with the built-in dictionary and nothing else, as every analyzer's
/// starts out (also what the benchmarks compare the server with).
pub fn builtin_jieba() -> Jieba {
    jieba_with_dict(BUILTIN_DICT)
}

pub(crate) fn jieba_with_dict(dict: &str) -> Jieba {
    let mut jieba = Jieba::empty();
    // The built-in dictionary is well-formed (a unit test loads it), and so is any selection of
    // its lines, so loading cannot fail.
    let _ = jieba.load_dict(&mut Lines { text: dict, at: 0 });
    jieba
}

/// A text read line by line, as jieba-rs's `load_dict` reads a dictionary: each line is found
/// with `memchr` and copied as it is, since it is already UTF-8. `&[u8]`'s own reader would
/// check every line's UTF-8 again and search it byte by byte, a large share of start-up.
struct Lines<'a> {
    text: &'a str,
    /// How many bytes have been read.
    at: usize,
}

impl std::io::Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.text.as_bytes()[self.at..];
        let n = buf.len().min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl std::io::BufRead for Lines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.text.as_bytes()[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.text.len());
    }

    fn read_line(&mut self, buf: &mut String) -> std::io::Result<usize> {
        // Only reading bytes (above) can stop inside a character.
        let rest = self.text.get(self.at..).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "inside a character")
        })?;
        let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |at| at + 1);
        buf.push_str(&rest[..end]);
        self.at += end;
        Ok(end)
    }
}

/// The built-in IDF table, parsed once and shared by every analyzer of the process (every
/// profile, every reload): about 10 MB that need not be held twice.
pub(crate) fn builtin_idf() -> Arc<IdfTable> {
    static TABLE: LazyLock<Arc<IdfTable>> = LazyLock::new(|| Arc::new(IdfTable::builtin()));
    Arc::clone(&TABLE)
}

/// The part-of-speech HMM, parsed once and shared as the IDF table is.
pub(crate) fn builtin_pos_hmm() -> Arc<PosHmm> {
    static HMM: LazyLock<Arc<PosHmm>> = LazyLock::new(|| Arc::new(PosHmm::builtin()));
    Arc::clone(&HMM)
}
