//! The built-in dictionary's words as a double-array trie (yada), built here once instead of at
//! every start-up: each word maps to its line in `data/jieba/dict.txt`, where the analyzer reads
//! its frequency and tag (src/core/dictionary/base.rs). Built at run time, the trie of the
//! 349,045 words took 0.3 to 0.5 s of every start.

use std::path::Path;

/// The dictionary the trie is built from (the one `src/core/builtin.rs` embeds).
const DICT: &str = "data/jieba/dict.txt";

/// Writes `OUT_DIR/dict.trie`.
pub(crate) fn write(out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={DICT}");
    let text = std::fs::read_to_string(DICT)?;
    let mut keys: Vec<(&str, u32)> = Vec::new();
    for (line, entry) in text.lines().enumerate() {
        let word = entry
            .split_ascii_whitespace()
            .next()
            .ok_or_else(|| format!("{DICT}:{}: no word", line + 1))?;
        keys.push((word, u32::try_from(line)?));
    }
    // yada wants the keys sorted and distinct; the dictionary has no word twice (a duplicate
    // would have to keep its first line's tag and its last line's frequency, as jieba-rs does).
    keys.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(pair) = keys.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("{DICT}: `{}` appears twice", pair[0].0).into());
    }
    let trie = yada::builder::DoubleArrayBuilder::build(&keys)
        .ok_or("the dictionary's trie could not be built")?;
    std::fs::write(out_dir.join("dict.trie"), trie)?;
    Ok(())
}
