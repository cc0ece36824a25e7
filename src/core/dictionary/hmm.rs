//! jieba's four-state HMM (B, E, M, S: a word's begin, end, middle, or a single-character
//! word), which cuts a run of characters the route left single and no word covers: Python
//! jieba 0.42.1's `finalseg` model, exported to `data/jieba/finalseg_hmm.txt`, and its Viterbi
//! with Python's tie-breaking (which jieba-rs's also keeps; a unit test compares the two).
//!
//! jieba-rs runs the same model inside its `cut` but does not export it; reaching it through
//! the `cut` of a segmenter without words cost a profile's segmentation about 11,000
//! instructions a review (a block split, a route and two allocations a run) on top of the
//! Viterbi itself (`bench/instructions.sh`, before and after, in BENCHMARKS.md's "Dictionary
//! profiles").

use std::cell::RefCell;
use std::sync::LazyLock;

use super::super::classes::is_han;

const MODEL: &str = include_str!("../../../data/jieba/finalseg_hmm.txt");

/// The states, in the model file's order.
const B: usize = 0;
const E: usize = 1;
const M: usize = 2;
const S: usize = 3;

/// The two states each state may follow, the one that wins a tie second (Python takes the
/// largest `(probability, state letter)`, and the letters sort as the indices do).
const FOLLOWS: [[usize; 2]; 4] = [[E, S], [B, M], [B, M], [E, S]];

/// The log-probability of what the model never saw (finalseg's `MIN_FLOAT`).
const NEVER: f64 = -3.14e100;

/// The first character of [`is_han`]'s range, where the emission index starts.
const FIRST_HAN: u32 = 0x4E00;

/// The model, read on first use.
struct Model {
    start: [f64; 4],
    trans: [[f64; 4]; 4],
    /// For each character of [`is_han`]'s range, its row in `emit` (row 0: never seen).
    rows: Vec<u16>,
    emit: Vec<[f64; 4]>,
}

impl Model {
    /// Reads `data/jieba/finalseg_hmm.txt` (a unit test keeps every line of it readable).
    fn load() -> Self {
        let mut model = Self {
            start: [NEVER; 4],
            trans: [[NEVER; 4]; 4],
            rows: vec![0; ('\u{9FD5}' as u32 - FIRST_HAN + 1) as usize],
            emit: vec![[NEVER; 4]],
        };
        let probs = |fields: &[&str]| -> [f64; 4] {
            std::array::from_fn(|k| fields.get(k).and_then(|f| f.parse().ok()).unwrap_or(NEVER))
        };
        for line in MODEL.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields.as_slice() {
                ["P", rest @ ..] => model.start = probs(rest),
                ["T", from, rest @ ..] => {
                    if let Some(from) = "BEMS".find(from) {
                        model.trans[from] = probs(rest);
                    }
                }
                ["E", key, rest @ ..] => {
                    let mut chars = key.chars();
                    if let (Some(c), None) = (chars.next(), chars.next())
                        && is_han(c)
                        && let Ok(row) = u16::try_from(model.emit.len())
                    {
                        model.rows[(c as u32 - FIRST_HAN) as usize] = row;
                        model.emit.push(probs(rest));
                    }
                }
                _ => {}
            }
        }
        model
    }

    #[inline]
    fn emit(&self, c: char) -> &[f64; 4] {
        let row = self.rows[(c as u32 - FIRST_HAN) as usize];
        &self.emit[usize::from(row)]
    }

    /// The most likely state of each of `chars` (Han characters, at least two) into `path`,
    /// with `prev` for the state each state at each step came from.
    fn viterbi(&self, chars: &[char], prev: &mut Vec<[u8; 4]>, path: &mut Vec<u8>) {
        let first = self.emit(chars[0]);
        let mut v: [f64; 4] = std::array::from_fn(|y| self.start[y] + first[y]);
        prev.clear();
        prev.push([0; 4]);
        for &c in &chars[1..] {
            let emit = self.emit(c);
            let mut from = [0u8; 4];
            let next: [f64; 4] = std::array::from_fn(|y| {
                let [y0, y1] = FOLLOWS[y];
                let p0 = v[y0] + self.trans[y0][y] + emit[y];
                let p1 = v[y1] + self.trans[y1][y] + emit[y];
                let (p, state) = if p0 > p1 { (p0, y0) } else { (p1, y1) };
                from[y] = state as u8;
                p
            });
            prev.push(from);
            v = next;
        }
        let mut state = if v[E] > v[S] { E as u8 } else { S as u8 };
        path.clear();
        path.resize(chars.len(), 0);
        for t in (0..chars.len()).rev() {
            path[t] = state;
            state = prev[t][usize::from(state)];
        }
    }
}

static BUILTIN: LazyLock<Model> = LazyLock::new(Model::load);

/// Reads the model now rather than on the first run it cuts (about 50 million instructions,
/// 15 ms: a first call should not wait for it).
pub(super) fn load() {
    LazyLock::force(&BUILTIN);
}

/// The Viterbi's buffers, reused from run to run on a thread.
#[derive(Default)]
struct Scratch {
    prev: Vec<[u8; 4]>,
    path: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Cuts `chars` (the characters of a run of one block, at least one) as jieba-rs's `cut` with
/// the HMM and no dictionary cuts them, handing out each word as characters `start..end`: each
/// stretch of Han characters alone if it is one character, else by the Viterbi; the rest as
/// jieba-rs splits it ([`split_skipped`]).
pub(crate) fn hmm_cut_chars(chars: &[char], mut emit: impl FnMut(usize, usize)) {
    let mut from = 0;
    while from < chars.len() {
        let han = is_han(chars[from]);
        let to = from
            + chars[from..]
                .iter()
                .position(|&c| is_han(c) != han)
                .unwrap_or(chars.len() - from);
        if !han {
            split_skipped(&chars[from..to], |start, end| {
                emit(from + start, from + end)
            });
        } else if to - from == 1 {
            emit(from, to);
        } else {
            SCRATCH.with_borrow_mut(|Scratch { prev, path }| {
                BUILTIN.viterbi(&chars[from..to], prev, path);
                let mut begin = from;
                for (t, &state) in (from..).zip(path.iter()) {
                    match usize::from(state) {
                        B => begin = t,
                        E => {
                            emit(begin, t + 1);
                            begin = t + 1;
                        }
                        S => {
                            emit(t, t + 1);
                            begin = t + 1;
                        }
                        _ => {}
                    }
                }
                // A path may end in B or M only if the model lets it; as Python, the rest is
                // one word.
                if begin < to {
                    emit(begin, to);
                }
                if prev.capacity() > 1 << 16 {
                    *prev = Vec::new();
                    *path = Vec::new();
                }
            });
        }
        from = to;
    }
}

/// [`hmm_cut_chars`] over `run`, handing out the words as slices of it.
pub(crate) fn hmm_cut<'a>(run: &'a str, mut emit: impl FnMut(&'a str)) {
    let (mut offsets, mut chars) = (Vec::new(), Vec::new());
    for (i, c) in run.char_indices() {
        offsets.push(i);
        chars.push(c);
    }
    offsets.push(run.len());
    hmm_cut_chars(&chars, |start, end| {
        emit(&run[offsets[start]..offsets[end]])
    });
}

/// jieba-rs's split of characters outside the HMM's range: each token of ASCII letters and
/// digits (runs joined by one `.`, `_` or `-` between two of them, and a `%` after) and each
/// stretch between two tokens, as characters `start..end`.
fn split_skipped(chars: &[char], mut emit: impl FnMut(usize, usize)) {
    let alnum = |k: usize| chars.get(k).is_some_and(char::is_ascii_alphanumeric);
    let (mut gap, mut k) = (0, 0);
    while k < chars.len() {
        if !alnum(k) {
            k += 1;
            continue;
        }
        let mut end = k;
        loop {
            while alnum(end) {
                end += 1;
            }
            if matches!(chars.get(end), Some('.' | '_' | '-')) && alnum(end + 1) {
                end += 1;
            } else {
                break;
            }
        }
        if chars.get(end) == Some(&'%') {
            end += 1;
        }
        if gap < k {
            emit(gap, k);
        }
        emit(k, end);
        (gap, k) = (end, end);
    }
    if gap < chars.len() {
        emit(gap, chars.len());
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::classes::is_block_char;
    use super::*;

    /// jieba-rs's cut, with the HMM and without words, of `run`.
    fn jieba_rs(run: &str) -> Vec<&str> {
        static EMPTY: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::empty);
        EMPTY.cut(run, true).into_iter().map(|t| t.word).collect()
    }

    fn ours(run: &str) -> Vec<&str> {
        let mut words = Vec::new();
        hmm_cut(run, |w| words.push(w));
        words
    }

    #[test]
    fn the_model_file_reads_whole() {
        let lines = MODEL.lines().count();
        let model = &*BUILTIN;
        // Every emission line but those outside the Han range, and the five others.
        let outside = MODEL
            .lines()
            .filter(|l| l.starts_with("E ") && !l[2..].chars().next().is_some_and(is_han))
            .count();
        assert_eq!(model.emit.len() - 1 + outside + 5, lines);
        assert!(
            model
                .start
                .iter()
                .chain(model.trans.iter().flatten())
                .all(|p| *p < 0.0)
        );
        for line in MODEL.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            let numbers = &fields[fields.len() - 4..];
            assert!(numbers.iter().all(|n| n.parse::<f64>().is_ok()), "{line}");
        }
    }

    #[test]
    fn cuts_as_jieba_rs_does() {
        let mut runs: Vec<String> = [
            "他来到了网易杭研大厦",
            "小明硕士毕业于中国科学院计算所",
            "韩冰冰去了趟超市买了三斤苹果",
            "abc-12.5%的价格x_y_",
            "iPhone15Pro和华为Mate60",
            "鿐鿑鿒测试㐀㐁混合",
            "。",
            "一",
            "-.-a.b..c%%",
        ]
        .map(str::to_owned)
        .into();
        for seed in [
            include_str!("../../../seeds/000_0d2741181010ae04.txt"),
            include_str!("../../../seeds/001_17c7324d0813078a.txt"),
            include_str!("../../../seeds/002_42c0c996b8dd257d.txt"),
            include_str!("../../../seeds/003_627927fa580c8395.txt"),
            include_str!("../../../seeds/004_2167c3420ec57bce.txt"),
        ] {
            runs.extend(
                seed.split(|c: char| !is_block_char(c))
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            );
        }
        for run in &runs {
            assert_eq!(ours(run), jieba_rs(run), "{run}");
        }
    }

    #[test]
    fn splits_skipped_characters_as_jieba_rs_does() {
        for run in ["a-b_c.d%-", "..x.", "v1.2.3-rc_4%%", "-%-", "ab--cd"] {
            assert_eq!(ours(run), jieba_rs(run), "{run}");
        }
    }
}
