//! The inverse-document-frequency table used by TF-IDF keyword extraction.

use std::collections::HashMap;
use std::path::Path;

use super::LoadError;
use super::files::content_lines;

/// jieba's own IDF table (see `data/jieba/README.md`), embedded in the binary.
const BUILTIN_IDF: &str = include_str!("../../data/jieba/idf.txt");

/// Word → IDF, with the median IDF that stands in for words the table lacks.
#[derive(Debug, Clone)]
pub struct IdfTable {
    idf: HashMap<Box<str>, f64>,
    median: f64,
}

impl IdfTable {
    /// The table Python jieba 0.42.1 ships, embedded at build time.
    pub fn builtin() -> Self {
        // The embedded table is well-formed (a unit test parses it strictly).
        Self::parse(BUILTIN_IDF, Path::new("<built-in idf.txt>")).unwrap_or_else(|_| Self {
            idf: HashMap::new(),
            median: 0.0,
        })
    }

    /// Parses a table in jieba's `word idf` format; `path` names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, LoadError> {
        let mut idf = HashMap::with_capacity(text.len() / 16);
        for (line, content) in content_lines(text) {
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
            let value: f64 = value
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| malformed(format!("`{value}` is not a finite number")))?;
            idf.insert(Box::from(word), value);
        }
        // Python jieba: sorted(idf_freq.values())[len(idf_freq) // 2], over distinct words.
        let mut values: Vec<f64> = idf.values().copied().collect();
        values.sort_by(f64::total_cmp);
        let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
        Ok(Self { idf, median })
    }

    /// The IDF of `word`, or the table's median IDF when the word is not in it.
    pub fn get(&self, word: &str) -> f64 {
        self.idf.get(word).copied().unwrap_or(self.median)
    }

    /// The median IDF, used for words missing from the table.
    pub fn median(&self) -> f64 {
        self.median
    }

    /// The number of words in the table.
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// Whether the table has no words.
    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
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
