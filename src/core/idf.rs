//! The inverse-document-frequency table used by TF-IDF keyword extraction.

use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::LoadError;
use super::files::content_lines;

const BUILTIN_IDF: &str = include_str!("../../data/jieba/idf.txt");

/// Word → IDF, with the median IDF for words not in the table (as `jieba.analyse` does).
///
/// The words stay where they are in the table's text (for the built-in table, the text
/// embedded in the binary): the table holds each word's place in it and an index of `u32`s.
/// A `HashMap<Box<str>, f64>` of the built-in words held more than twice as much idle memory
/// (a heap string per word); a lookup here is still one hash and one comparison.
#[derive(Clone)]
pub struct IdfTable {
    text: Cow<'static, str>,
    /// Each word's byte range in `text`, and its IDF.
    entries: Vec<Entry>,
    /// Indexes of `entries`, by the hash of their word.
    index: HashTable<u32>,
    median: f64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    end: u32,
    idf: f64,
}

impl fmt::Debug for IdfTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdfTable")
            .field("words", &self.entries.len())
            .field("median", &self.median)
            .finish()
    }
}

impl IdfTable {
    /// jieba's IDF table (`data/jieba/idf.txt`), embedded in the binary.
    pub fn builtin() -> Self {
        // The embedded table is well-formed (a unit test parses it strictly).
        Self::parse(BUILTIN_IDF, Path::new("<built-in idf.txt>")).unwrap_or_else(|_| Self {
            text: Cow::Borrowed(""),
            entries: Vec::new(),
            index: HashTable::new(),
            median: 0.0,
        })
    }

    /// Parses `word idf` lines; a word listed twice takes its last value (as Python's dict).
    /// `path` names the file in errors.
    pub fn parse(text: impl Into<Cow<'static, str>>, path: &Path) -> Result<Self, LoadError> {
        let text = text.into();
        let at = |word: &str| (word.as_ptr() as usize - text.as_ptr() as usize) as u32;
        // Room for every line at once, so the tables are made once rather than grown and copied
        // (the built-in table's entries reached 8 MB that way before being shrunk to 4 MB, and
        // the allocator kept what was freed).
        let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
        let mut entries: Vec<Entry> = Vec::with_capacity(lines);
        let mut index: HashTable<u32> = HashTable::with_capacity(lines);
        let word_of = |e: &Entry| &text[e.start as usize..e.end as usize];
        for (line, content) in content_lines(&text) {
            let malformed = |reason: String| LoadError::Malformed {
                path: path.to_path_buf(),
                line,
                reason,
            };
            let mut fields = content.split_whitespace();
            let (Some(word), Some(value), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(malformed("expected `word idf`".into()));
            };
            let idf: f64 = value
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| malformed(format!("`{value}` is not a finite number")))?;
            let hash = FxBuildHasher.hash_one(word);
            let same = |&i: &u32| word_of(&entries[i as usize]) == word;
            match index.find(hash, same).copied() {
                Some(i) => entries[i as usize].idf = idf,
                None => {
                    let start = at(word);
                    entries.push(Entry {
                        start,
                        end: start + word.len() as u32,
                        idf,
                    });
                    let i = (entries.len() - 1) as u32;
                    index.insert_unique(hash, i, |&j| {
                        FxBuildHasher.hash_one(word_of(&entries[j as usize]))
                    });
                }
            }
        }
        // Python jieba: sorted(idf_freq.values())[len(idf_freq) // 2], over distinct words.
        // Selected rather than sorted: only the middle value is needed, and start-up pays for
        // whatever this does with every entry of the table.
        let mut values: Vec<f64> = entries.iter().map(|e| e.idf).collect();
        let middle = values.len() / 2;
        let median = if values.is_empty() {
            0.0
        } else {
            *values.select_nth_unstable_by(middle, f64::total_cmp).1
        };
        entries.shrink_to_fit();
        index.shrink_to_fit(|&j| FxBuildHasher.hash_one(word_of(&entries[j as usize])));
        Ok(Self {
            text,
            entries,
            index,
            median,
        })
    }

    /// The IDF of `word`, or the median for a word not in the table.
    pub fn get(&self, word: &str) -> f64 {
        let hash = FxBuildHasher.hash_one(word);
        self.index
            .find(hash, |&i| self.word(i) == word)
            .map_or(self.median, |&i| self.entries[i as usize].idf)
    }

    fn word(&self, i: u32) -> &str {
        let e = &self.entries[i as usize];
        &self.text[e.start as usize..e.end as usize]
    }

    /// The median IDF, given to words not in the table.
    pub fn median(&self) -> f64 {
        self.median
    }

    /// How many distinct words the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table has no words.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_strictly_with_jiebas_median() {
        let table = IdfTable::parse(BUILTIN_IDF, Path::new("idf.txt")).expect("well-formed");
        assert_eq!(table.len(), 270_132); // distinct words, as in Python
        // Python: jieba.analyse.default_tfidf.median_idf
        assert!(
            (table.median() - 11.9547675029).abs() < 1e-9,
            "{}",
            table.median()
        );
        assert!((table.get("人工智能") - 9.45802639549).abs() < 1e-9);
        assert_eq!(table.get("不存在的词语啊"), table.median());
    }

    #[test]
    fn malformed_line_is_named() {
        let err = IdfTable::parse("北京 8.5\n\n上海 abc\n", Path::new("x.idf")).unwrap_err();
        assert_eq!(err.to_string(), "x.idf:3: `abc` is not a finite number");
        let err = IdfTable::parse("北京\n", Path::new("x.idf")).unwrap_err();
        assert_eq!(err.to_string(), "x.idf:1: expected `word idf`");
    }
}
