//! User dictionaries in jieba's `word [freq] [tag]` format.

use std::path::Path;

use super::LoadError;
use super::files::content_lines;

/// One user-dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) word: String,
    /// `None` lets the segmenter pick a frequency that keeps the word whole (jieba's suggest_freq).
    pub(crate) freq: Option<usize>,
    pub(crate) tag: Option<String>,
}

/// Parses a user dictionary read from `path`: one entry a line, `word`, `word freq`,
/// `word tag` or `word freq tag`, separated by spaces. Blank lines are skipped.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<Entry>, LoadError> {
    content_lines(text)
        .map(|(line, content)| {
            parse_line(content).map_err(|reason| LoadError::Malformed {
                path: path.to_path_buf(),
                line,
                reason,
            })
        })
        .collect()
}

fn parse_line(line: &str) -> Result<Entry, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let parse_freq = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("frequency `{s}` is not a whole number"))
    };
    let (word, freq, tag) = match fields.as_slice() {
        [word] => (*word, None, None),
        [word, second] => match second.parse::<usize>() {
            Ok(freq) => (*word, Some(freq), None),
            Err(_) => (*word, None, Some(*second)),
        },
        [word, freq, tag] => (*word, Some(parse_freq(freq)?), Some(*tag)),
        _ => {
            return Err(format!(
                "expected `word [freq] [tag]`, found {} fields",
                fields.len()
            ));
        }
    };
    Ok(Entry {
        word: word.to_owned(),
        freq,
        tag: tag.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_line_parses() {
        let entries = parse(
            "\u{feff}云计算 5\n\n创新办 3 i\n凯特琳 nz\n台中\n",
            Path::new("u"),
        )
        .unwrap();
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.word.as_str(), e.freq, e.tag.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("云计算", Some(5), None),
                ("创新办", Some(3), Some("i")),
                ("凯特琳", None, Some("nz")),
                ("台中", None, None),
            ]
        );
    }

    #[test]
    fn bad_lines_are_named_with_file_and_line() {
        let err = parse("好词 3\n坏词 x y\n", Path::new("dict.txt")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dict.txt:2: frequency `x` is not a whole number"
        );
        let err = parse("a 1 n extra\n", Path::new("dict.txt")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dict.txt:1: expected `word [freq] [tag]`, found 4 fields"
        );
    }
}
