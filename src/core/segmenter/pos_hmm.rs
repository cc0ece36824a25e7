//! The joint position-and-tag HMM of Python jieba's `posseg` (256 states such as `B-n`, `E-v`):
//! a port of `jieba/posseg/viterbi.py` over the model exported to `data/jieba/posseg_hmm.txt`.
//! It cuts and tags the runs of single characters that the dictionary route leaves unmatched
//! ([`super::posseg`] decides which).

use rustc_hash::FxHashMap;

/// The exported model (see `scripts/export_posseg_hmm.py` for the format).
const BUILTIN_MODEL: &str = include_str!("../../../data/jieba/posseg_hmm.txt");

/// Python's `MIN_FLOAT`, the log-probability of an unseen emission.
const MIN_FLOAT: f64 = -3.14e100;

type State = u16;

/// The most states a model may have (Python's has 256): sets of states are bit sets of this
/// many bits.
const MAX_STATES: usize = 256;

/// A set of states.
type StateSet = [u64; MAX_STATES / 64];

/// The joint part-of-speech HMM.
#[derive(Debug)]
pub(crate) struct PosHmm {
    /// Per state: its position letter (`B`, `M`, `E`, `S`) and tag. States are numbered in
    /// Python's tuple order, so comparing numbers compares `(position, tag)` tuples.
    states: Vec<(u8, Box<str>)>,
    start: Vec<f64>,
    /// Per state: the states that lead to it, `(previous state, log-probability)`, sorted by
    /// previous state.
    pred: Vec<Vec<(State, f64)>>,
    /// Per state: the greatest log-probability of a transition into it (-inf for none).
    best_into: Vec<f64>,
    /// Per state: the states it leads to, as a bit set.
    succ: Vec<StateSet>,
    /// The transition log-probability from state `x` to state `y` at `y * states + x` (-inf
    /// where there is none, as Python's `MIN_INF`).
    into: Vec<f64>,
    /// Per character: the states it may take, each with its emission log-probability.
    char_emits: FxHashMap<char, Vec<(State, f64)>>,
    /// Per character: `(state, log-probability)`, sorted by state.
    emit: FxHashMap<char, Vec<(State, f64)>>,
    all_states: Vec<State>,
}

impl PosHmm {
    /// The model of Python jieba 0.42.1, embedded at build time.
    pub(crate) fn builtin() -> Self {
        Self::parse(BUILTIN_MODEL)
    }

    /// Parses the exported model. The embedded model is well-formed (a unit test checks it);
    /// a malformed record is skipped rather than trusted.
    fn parse(text: &str) -> Self {
        let mut hmm = Self {
            states: Vec::new(),
            start: Vec::new(),
            char_emits: FxHashMap::default(),
            emit: FxHashMap::default(),
            all_states: Vec::new(),
            pred: Vec::new(),
            best_into: Vec::new(),
            succ: Vec::new(),
            into: Vec::new(),
        };
        // Per state: `(next state, log-probability)`; per character: the states it may take.
        // Only read to make the tables the Viterbi reads.
        let mut trans: Vec<Vec<(State, f64)>> = Vec::new();
        let mut char_states: FxHashMap<char, Vec<State>> = FxHashMap::default();
        let state = |s: &str| s.parse::<State>().ok();
        for line in text.lines() {
            let mut fields = line.split(' ');
            match (fields.next(), fields.next()) {
                (Some("S"), Some(name)) if hmm.states.len() < MAX_STATES => {
                    if let Some((pos, tag)) = name.split_once('-') {
                        hmm.states
                            .push((pos.bytes().next().unwrap_or(b'S'), tag.into()));
                        hmm.start.push(f64::NEG_INFINITY);
                        trans.push(Vec::new());
                    }
                }
                (Some("P"), Some(s)) => {
                    if let (Some(s), Some(p)) =
                        (state(s), fields.next().and_then(|p| p.parse().ok()))
                        && let Some(slot) = hmm.start.get_mut(usize::from(s))
                    {
                        *slot = p;
                    }
                }
                (Some("T"), Some(from)) => {
                    let to = fields.next().and_then(state);
                    let p = fields.next().and_then(|p| p.parse().ok());
                    if let (Some(from), Some(to), Some(p)) = (state(from), to, p)
                        && let Some(out) = trans.get_mut(usize::from(from))
                    {
                        out.push((to, p));
                    }
                }
                (Some("C"), Some(ch)) => {
                    if let Some(ch) = single_char(ch) {
                        char_states.insert(ch, fields.filter_map(state).collect());
                    }
                }
                (Some("E"), Some(ch)) => {
                    if let Some(ch) = single_char(ch) {
                        let mut probs: Vec<(State, f64)> = fields
                            .filter_map(|f| {
                                let (s, p) = f.split_once(':')?;
                                Some((state(s)?, p.parse().ok()?))
                            })
                            .collect();
                        probs.sort_by_key(|&(s, _)| s);
                        hmm.emit.insert(ch, probs);
                    }
                }
                _ => {}
            }
        }
        let count = hmm.states.len() as State;
        hmm.all_states = (0..count).collect();
        let n = hmm.states.len();
        hmm.pred = vec![Vec::new(); n];
        hmm.best_into = vec![f64::NEG_INFINITY; n];
        hmm.succ = vec![[0; MAX_STATES / 64]; n];
        hmm.into = vec![f64::NEG_INFINITY; n * n];
        // Taken by previous state, so each state's predecessors come sorted.
        for (from, out) in trans.iter().enumerate() {
            for &(to, p) in out.iter().filter(|&&(to, _)| usize::from(to) < n) {
                hmm.into[usize::from(to) * n + from] = p;
                hmm.pred[usize::from(to)].push((from as State, p));
                let best = &mut hmm.best_into[usize::from(to)];
                *best = best.max(p);
                hmm.succ[from][usize::from(to) / 64] |= 1 << (to % 64);
            }
        }
        hmm.char_emits = char_states
            .iter()
            .map(|(&ch, states)| {
                let emits = hmm.emit.get(&ch).map(Vec::as_slice);
                (ch, states.iter().map(|&y| (y, emit_p(emits, y))).collect())
            })
            .collect();
        hmm
    }

    /// The states `ch` may take, whose emissions pass `keep`, into `out` with their emission
    /// log-probabilities; false if the model lists no states for `ch` (then any state may).
    fn states_of(
        &self,
        ch: char,
        keep: impl Fn(State) -> bool,
        out: &mut Vec<(State, f64)>,
    ) -> bool {
        match self.char_emits.get(&ch) {
            Some(states) => {
                out.extend(states.iter().copied().filter(|&(y, _)| keep(y)));
                true
            }
            None => {
                let emits = self.emit.get(&ch).map(Vec::as_slice);
                out.extend(
                    self.all_states
                        .iter()
                        .filter(|&&y| keep(y))
                        .map(|&y| (y, emit_p(emits, y))),
                );
                false
            }
        }
    }

    /// The most likely state of each character (`viterbi.py`, including its tie-breaking: of
    /// equally likely predecessors, the greatest state wins, as Python's `max` over tuples).
    ///
    /// Python pairs every candidate state with every previous state. Here the previous states
    /// are taken best first, and a candidate stops looking once even the likeliest transition
    /// into it could not reach the best sum found (float addition is monotonic, so the cut is
    /// exact: every state that could tie is still compared). The states the previous ones lead
    /// to are a union of bit sets, each character's states come with their emissions, and the
    /// tables are reused from call to call, so nothing is allocated per character.
    fn viterbi(&self, run: &str) -> Vec<State> {
        let n_states = self.states.len();
        let (Some(first), false) = (run.chars().next(), self.states.is_empty()) else {
            return Vec::new();
        };
        SCRATCH.with_borrow_mut(|scratch| self.viterbi_in(run, first, n_states, scratch))
    }

    /// [`PosHmm::viterbi`] with its tables in `scratch`, reused from call to call.
    fn viterbi_in(
        &self,
        run: &str,
        first: char,
        n_states: usize,
        scratch: &mut Scratch,
    ) -> Vec<State> {
        let Scratch {
            prob,
            next,
            prev,
            prev_at,
            step: epoch,
            present,
            candidates,
            back,
            steps,
        } = scratch;
        for table in [&mut *prob, &mut *next] {
            table.resize(n_states, f64::NAN);
        }
        if prev_at.len() != n_states {
            *prev_at = vec![0; n_states];
        }
        present.clear();
        self.states_of(first, |_| true, present);
        for &(y, e) in present.iter() {
            prob[usize::from(y)] = self.start[usize::from(y)] + e;
        }
        // Each step's (state, predecessor) pairs, one after another; `steps[t]` ends step t.
        back.clear();
        back.extend(present.iter().map(|&(y, _)| (y, 0)));
        steps.clear();
        steps.push(back.len());
        for ch in run[first.len_utf8()..].chars() {
            // This step's number, the stamp of the previous states in `prev_at`.
            *epoch = epoch.checked_add(1).unwrap_or_else(|| {
                prev_at.iter_mut().for_each(|s| *s = 0);
                1
            });
            let t = *epoch;
            // The previous states that lead anywhere (Python would fail with none: then all).
            let mut expected: StateSet = [0; MAX_STATES / 64];
            prev.clear();
            for &(x, _) in present.iter() {
                let next = &self.succ[usize::from(x)];
                if next.iter().any(|&w| w != 0) {
                    prev_at[usize::from(x)] = t;
                    prev.push((x, prob[usize::from(x)]));
                    for (w, s) in expected.iter_mut().zip(next) {
                        *w |= s;
                    }
                }
            }
            if prev.is_empty() {
                for &(x, _) in present.iter() {
                    prev_at[usize::from(x)] = t;
                    prev.push((x, prob[usize::from(x)]));
                }
            }
            // The states `ch` may take: those the model gives it that some previous state leads
            // to, else any state one leads to, else every state.
            let is_expected = |y: State| expected[usize::from(y) / 64] & (1 << (y % 64)) != 0;
            candidates.clear();
            if self.states_of(ch, is_expected, candidates) && candidates.is_empty() {
                let emits = self.emit.get(&ch).map(Vec::as_slice);
                candidates.extend(
                    (0..n_states as State)
                        .filter(|&y| is_expected(y))
                        .map(|y| (y, emit_p(emits, y))),
                );
            }
            if candidates.is_empty() {
                let emits = self.emit.get(&ch).map(Vec::as_slice);
                candidates.extend(self.all_states.iter().map(|&y| (y, emit_p(emits, y))));
            }
            // Where every previous state scores -inf (those without a transition to a
            // candidate do, in Python), Python keeps the greatest previous state.
            let fallback = prev.iter().map(|&(x, _)| x).max().unwrap_or(0);
            let mut sorted = false;
            for &(y, e) in candidates.iter() {
                let pred = &self.pred[usize::from(y)];
                let best = if pred.len() < prev.len() {
                    // Few ways in (a word's middle or end follows only its own beginning):
                    // those of them that were states at the last step.
                    let mut best = (f64::NEG_INFINITY, fallback);
                    for &(x, tp) in pred {
                        if prev_at[usize::from(x)] == t {
                            let p = prob[usize::from(x)] + tp + e;
                            if p >= best.0 && p > f64::NEG_INFINITY {
                                best = (p, x);
                            }
                        }
                    }
                    best
                } else {
                    if !sorted {
                        likeliest_first(prev);
                        sorted = true;
                    }
                    self.best_predecessor(prev, y, e, fallback)
                };
                next[usize::from(y)] = best.0;
                back.push((y, best.1));
            }
            steps.push(back.len());
            std::mem::swap(prob, next);
            std::mem::swap(present, candidates);
        }
        let last = present
            .iter()
            .map(|&(y, _)| y)
            .fold(None, |best: Option<State>, y| match best {
                Some(b) => {
                    let (pb, py) = (prob[usize::from(b)], prob[usize::from(y)]);
                    Some(if py > pb || (py == pb && y > b) { y } else { b })
                }
                None => Some(y),
            })
            .unwrap_or(0);
        backtrack(back, steps, last)
    }

    /// The best way into state `y` emitting with log-probability `e` from the previous states
    /// `prev` (likeliest first): its log-probability and the previous state. The emission is
    /// added before comparing, as in Python: a huge negative one (MIN_FLOAT) can round
    /// different sums to the same value, and of equal sums the greatest previous state wins.
    fn best_predecessor(
        &self,
        prev: &[(State, f64)],
        y: State,
        e: f64,
        fallback: State,
    ) -> (f64, State) {
        let n_states = self.states.len();
        let row = &self.into[usize::from(y) * n_states..][..n_states];
        let best_into = self.best_into[usize::from(y)];
        let mut best = (f64::NEG_INFINITY, fallback);
        for &(x, from) in prev {
            // No state after this one starts likelier, so none can do better than this bound.
            if from + best_into + e < best.0 {
                break;
            }
            let p = from + row[usize::from(x)] + e;
            if p > f64::NEG_INFINITY && (p > best.0 || (p == best.0 && x > best.1)) {
                best = (p, x);
            }
        }
        best
    }

    /// Cuts a run of Han characters that the dictionary does not know into tagged words
    /// (`posseg.__cut`). Words always tile the run: where Python would drop the characters of
    /// a word begun but never ended, they are kept as one word.
    pub(super) fn cut_run<'a>(&'a self, run: &'a str, emit: &mut impl FnMut(&'a str, &'a str)) {
        let route = self.viterbi(run);
        let tag = |i: usize| &*self.states[usize::from(route[i])].1;
        // The current word: its first character's index and byte.
        let (mut next, mut start) = (0, 0);
        for (i, ((at, c), &state)) in run.char_indices().zip(&route).enumerate() {
            match self.states[usize::from(state)].0 {
                b'B' if i > next => {
                    emit(&run[start..at], tag(next));
                    (next, start) = (i, at);
                }
                b'E' | b'S' => {
                    let end = at + c.len_utf8();
                    emit(&run[start..end], tag(i));
                    (next, start) = (i + 1, end);
                }
                _ => {}
            }
        }
        if next < route.len() {
            emit(&run[start..], tag(next));
        }
    }
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// The tables of [`PosHmm::viterbi`], kept between calls on a thread.
#[derive(Default)]
struct Scratch {
    /// Each state's log-probability at the previous step, and at this one.
    prob: Vec<f64>,
    next: Vec<f64>,
    /// The previous states that lead anywhere with their log-probabilities (likeliest first
    /// once a candidate needs them so).
    prev: Vec<(State, f64)>,
    /// The step at which each state was last among the previous states.
    prev_at: Vec<u32>,
    /// The number of the last step, over all calls.
    step: u32,
    /// The states of the previous step and of this one, with their emissions.
    present: Vec<(State, f64)>,
    candidates: Vec<(State, f64)>,
    /// Each step's (state, predecessor) pairs, and where each step's end.
    back: Vec<(State, State)>,
    steps: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Sorts states by log-probability, likeliest first, by insertion: a step has only a few dozen,
/// arriving mostly in order, where insertion beats a general sort.
fn likeliest_first(states: &mut [(State, f64)]) {
    for i in 1..states.len() {
        let item = states[i];
        let mut j = i;
        while j > 0 && states[j - 1].1 < item.1 {
            states[j] = states[j - 1];
            j -= 1;
        }
        states[j] = item;
    }
}

/// The log-probability that a state emits a character, from the character's emissions
/// (`(state, log-probability)` sorted by state); Python's `MIN_FLOAT` where it has none.
fn emit_p(emits: Option<&[(State, f64)]>, state: State) -> f64 {
    emits
        .and_then(|probs| {
            probs
                .binary_search_by_key(&state, |&(s, _)| s)
                .ok()
                .map(|i| probs[i].1)
        })
        .unwrap_or(MIN_FLOAT)
}

/// The states of a run, from its last state `last` back through each step's best
/// predecessors (`back[steps[t - 1]..steps[t]]` holds step t's (state, predecessor) pairs).
fn backtrack(back: &[(State, State)], steps: &[usize], last: State) -> Vec<State> {
    let mut state = last;
    let mut route = vec![0; steps.len()];
    for t in (0..steps.len()).rev() {
        route[t] = state;
        if t > 0 {
            state = back[steps[t - 1]..steps[t]]
                .iter()
                .find(|&&(y, _)| y == state)
                .map_or(0, |&(_, y0)| y0);
        }
    }
    route
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_is_complete() {
        let hmm = PosHmm::builtin();
        assert_eq!(hmm.states.len(), 256);
        assert_eq!(hmm.char_emits.len(), 6648);
        assert_eq!(hmm.emit.values().map(Vec::len).sum::<usize>(), 89_290);
        assert_eq!(hmm.pred.iter().map(Vec::len).sum::<usize>(), 5218);
        assert!(hmm.start.iter().all(|p| p.is_finite()));
    }
}
