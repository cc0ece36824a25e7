//! jieba's four-state HMM (jieba-rs's Viterbi over its built-in model) on a run of characters.

use std::sync::OnceLock;

use jieba_rs::Jieba;

/// A jieba-rs segmenter with no dictionary: its cut of a run of block characters, with the
/// HMM, is the Viterbi over the whole run (with no words, its route leaves every character
/// single and the run goes to the HMM as one).
fn viterbi() -> &'static Jieba {
    static HMM_ONLY: OnceLock<Jieba> = OnceLock::new();
    HMM_ONLY.get_or_init(Jieba::empty)
}

/// The words the HMM cuts `run` (characters of one block) into, in order.
pub(crate) fn hmm_cut<'a>(run: &'a str, mut emit: impl FnMut(&'a str)) {
    for word in viterbi().cut(run, true) {
        emit(word.word);
    }
}
