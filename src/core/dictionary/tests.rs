//! The dictionary's own route and cuts against jieba-rs's, with the same words.

use super::Dictionary;
use crate::core::builtin::{BUILTIN_DICT, jieba_with_dict};
use crate::core::builtin_jieba;

/// Texts with words, unknown names, ASCII runs, white space and the ideographs outside
/// Python's range: the seeds and a few lines of the tricky kinds.
fn texts() -> Vec<&'static str> {
    vec![
        include_str!("../../../seeds/000_0d2741181010ae04.txt"),
        include_str!("../../../seeds/002_42c0c996b8dd257d.txt"),
        include_str!("../../../seeds/004_2167c3420ec57bce.txt"),
        "韩冰是一个好人，去2025-06-26看mp.weixin.qq.com和1.320G的B超。\r\n𠀀鿖生得 T恤 easy_install",
        "他来到了网易杭研大厦，小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    ]
}

/// Each change, made to both.
enum Change {
    Add(&'static str, Option<usize>, Option<&'static str>),
}

fn both(changes: &[Change]) -> (Dictionary, jieba_rs::Jieba) {
    let (mut ours, mut theirs) = (Dictionary::builtin(), builtin_jieba());
    for Change::Add(word, freq, tag) in changes {
        assert_eq!(
            ours.add_word(word, *freq, *tag),
            theirs.add_word(word, *freq, *tag),
            "{word}"
        );
    }
    (ours, theirs)
}

fn assert_same_cuts(ours: &Dictionary, theirs: &jieba_rs::Jieba) {
    assert!(
        !ours.is_builtin(),
        "the overlay's own route is what is compared"
    );
    for text in texts() {
        for hmm in [true, false] {
            let mine = ours.cut(text, hmm);
            let jieba: Vec<_> = theirs
                .cut(text, hmm)
                .iter()
                .map(crate::core::Token::from)
                .collect();
            assert!(
                mine == jieba,
                "hmm {hmm}: {:?}",
                first_difference(&mine, &jieba)
            );
        }
        let tags: Vec<_> = ours.tag(text).iter().map(|t| (t.word, t.pos)).collect();
        let jieba: Vec<_> = theirs
            .tag(text, false)
            .iter()
            .map(|t| (t.word, Some(t.tag)))
            .collect();
        assert_eq!(tags, jieba);
    }
}

fn first_difference<T: PartialEq + std::fmt::Debug + Clone>(a: &[T], b: &[T]) -> Option<(T, T)> {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map(|(x, y)| (x.clone(), y.clone()))
}

#[test]
fn an_overlay_of_words_cuts_as_jieba_rs_given_the_same_words() {
    let (ours, theirs) = both(&[
        Change::Add("杭研大厦", None, Some("ns")),
        Change::Add("韩冰", Some(50_000), Some("nr")),
        Change::Add("一个好人", None, None),
        Change::Add("京都", Some(3), None),
        // A built-in word given another frequency (its tag stays).
        Change::Add("中国科学院", Some(1), Some("x")),
        Change::Add("B超", None, Some("n")),
        Change::Add("weixin", Some(10), Some("eng")),
    ]);
    assert_same_cuts(&ours, &theirs);
    for word in ["杭研大厦", "中国科学院", "京都大学", "中国科学", "B"] {
        assert_eq!(ours.has_word(word), theirs.has_word(word), "{word}");
        assert_eq!(ours.suggest_freq(word), theirs.suggest_freq(word), "{word}");
    }
    assert_eq!(ours.tag_of("中国科学院"), Some("nt"));
    assert_eq!(ours.changes(), (4, 3, 0));
}

#[test]
fn a_removed_word_is_as_if_its_line_were_not_in_the_dictionary() {
    let removed = ["清华大学", "科学院", "一个", "硕士"];
    let mut ours = Dictionary::builtin();
    for word in removed {
        assert!(ours.remove_builtin(word));
    }
    assert!(!ours.remove_builtin("不是词的词"));
    let kept: String = BUILTIN_DICT
        .split_inclusive('\n')
        .filter(|line| !removed.contains(&line.split_ascii_whitespace().next().unwrap()))
        .collect();
    let mut theirs = jieba_with_dict(&kept);
    // Added back with another tag: a new word to both.
    ours.add_word("杭研", Some(9), None);
    theirs.add_word("杭研", Some(9), None);
    assert_eq!(
        ours.add_word("硕士", Some(7), Some("nz")),
        theirs.add_word("硕士", Some(7), Some("nz"))
    );
    assert_same_cuts(&ours, &theirs);
    assert!(!ours.has_word("清华大学") && ours.has_word("清华"));
    assert_eq!(ours.tag_of("硕士"), Some("nz"));
}

#[test]
fn the_builtin_dictionary_delegates_to_jieba_rs_and_agrees_with_its_own_route() {
    let builtin = Dictionary::builtin();
    assert!(builtin.is_builtin());
    // A word no text holds puts the own route to work without changing any cut.
    let (ours, theirs) = both(&[Change::Add("龘龘龘", Some(1), None)]);
    for text in texts() {
        for hmm in [true, false] {
            assert!(builtin.cut(text, hmm) == ours.cut(text, hmm));
        }
        assert!(builtin.tag(text) == ours.tag(text));
    }
    assert_same_cuts(&ours, &theirs);
}

#[test]
fn words_in_cjk_runs_are_those_of_jieba_rs_cut_all() {
    let (ours, theirs) = both(&[Change::Add("杭研大厦", None, None)]);
    for text in texts() {
        let mut mine = Vec::new();
        ours.each_word(text, |start, end| mine.push((start, end)));
        let mut jieba: Vec<_> = theirs
            .cut_all(text)
            .iter()
            .filter(|t| {
                t.word
                    .chars()
                    .next()
                    .is_some_and(|c| ours.has_word(t.word) && !c.is_ascii())
            })
            .map(|t| (t.start, t.end))
            .collect();
        mine.sort_unstable();
        jieba.sort_unstable();
        assert_eq!(mine, jieba);
    }
}
