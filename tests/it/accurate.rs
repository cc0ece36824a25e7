//! The accurate segmenter (mode ACCURATE) end to end: its words and tags through every call,
//! offsets on awkward text, Traditional text, deadlines, a user's words kept whole (files,
//! AddWords, RemoveWords), a model from the models directory, and the committed model rebuilt
//! byte for byte by `train-segmenter`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use crate::common::TestServer;
use crate::dictionary::{ADMIN_TOKEN, admin, start, write};
use textanalysis::config::TrainSegmenterArgs;
use textanalysis::core::accurate::{SegmenterTrainConfig, read_corpus};
use textanalysis::core::{Analyzer, AnalyzerConfig};
use textanalysis::grpc::pb::{
    self, AddWordsRequest, AnalyzeBatchRequest, AnalyzeRequest, ExtractKeywordsRequest,
    KeywordMethod, KeywordOptions, ListModelsRequest, RemoveWordsRequest, Script, SegmentAnswer,
    SegmentMode, SegmentOptions, SegmentRequest, WordEntry,
};
use tonic::Code;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn accurate(text: &str) -> SegmentRequest {
    SegmentRequest {
        text: text.into(),
        mode: SegmentMode::Accurate as i32,
        ..Default::default()
    }
}

fn accurate_tagged(text: &str) -> SegmentRequest {
    SegmentRequest {
        with_pos: true,
        ..accurate(text)
    }
}

async fn tokens(server: &TestServer, request: SegmentRequest) -> Vec<pb::Token> {
    server
        .client()
        .segment(request)
        .await
        .unwrap()
        .into_inner()
        .tokens
}

fn words(tokens: &[pb::Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.word.as_str()).collect()
}

/// Every token's offsets select its word, and the tokens tile the text.
fn assert_tiles(text: &str, tokens: &[pb::Token]) {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    for t in tokens {
        assert_eq!(t.start as usize, at, "tokens tile {text:?}: {t:?}");
        let by_chars: String = chars[t.start as usize..t.end as usize].iter().collect();
        assert_eq!(by_chars, t.word, "code point offsets of {t:?}");
        let by_bytes = &text.as_bytes()[t.byte_start as usize..t.byte_end as usize];
        assert_eq!(by_bytes, t.word.as_bytes(), "byte offsets of {t:?}");
        at = t.end as usize;
    }
    assert_eq!(at, chars.len());
}

/// The dev lines of the PKU corpus (0-based line number 9 modulo 10), which the built-in model
/// was not trained on.
fn dev_sentences(n: usize) -> Vec<textanalysis::core::accurate::Sentence> {
    read_corpus(&root().join("data/pku-1998-01/gold.txt"), false)
        .unwrap()
        .sentences
        .into_iter()
        .filter(|(line, _)| line % 10 == 9)
        .take(n)
        .map(|(_, s)| s)
        .collect()
}

#[tokio::test]
async fn accurate_words_follow_the_pku_standard_with_tags() {
    let server = TestServer::start().await;
    let text = "１２月３１日，江泽民发表新年讲话。";
    let tagged = tokens(&server, accurate_tagged(text)).await;
    assert_tiles(text, &tagged);
    assert_eq!(
        words(&tagged),
        [
            "１２月",
            "３１日",
            "，",
            "江",
            "泽民",
            "发表",
            "新年",
            "讲话",
            "。"
        ]
    );
    let tags: Vec<&str> = tagged.iter().map(|t| t.pos.as_str()).collect();
    assert_eq!(tags, ["t", "t", "w", "nr", "nr", "v", "t", "n", "w"]);
    // Half-width digits are read as the corpus's full-width ones; the words are the text's.
    let half = "12月31日，江泽民发表新年讲话。";
    let plain = tokens(&server, accurate(half)).await;
    assert_eq!(
        words(&plain),
        [
            "12月", "31日", "，", "江", "泽民", "发表", "新年", "讲话", "。"
        ]
    );
    assert!(plain.iter().all(|t| t.pos.is_empty()));
    server.shutdown().await;
}

#[tokio::test]
async fn accurate_scores_well_on_held_out_pku_sentences() {
    let server = TestServer::start().await;
    let (mut gold_words, mut right) = (0usize, 0usize);
    for sentence in dev_sentences(200) {
        let text = sentence.text();
        let answer = tokens(&server, accurate(&text)).await;
        assert_tiles(&text, &answer);
        let mut at = 0;
        let gold: HashSet<(u32, u32)> = sentence
            .words
            .iter()
            .map(|w| {
                let start = at;
                at += w.chars().count() as u32;
                (start, at)
            })
            .collect();
        gold_words += gold.len();
        right += answer
            .iter()
            .filter(|t| gold.contains(&(t.start, t.end)))
            .count();
    }
    let recall = right as f64 / gold_words as f64;
    assert!(recall > 0.95, "recall {recall} on 200 dev sentences");
    server.shutdown().await;
}

#[tokio::test]
async fn offsets_hold_for_awkward_text() {
    let server = TestServer::start().await;
    let texts = [
        "家庭👨‍👩‍👧‍👦出游，心情😀很好",
        "e\u{301}cole 和 咖啡café\u{302} 的组合",
        "控制\u{0}字符\u{1}\u{7}与\t制表\r\n换行",
        "עברית 与 العربية 混排 مرحبا 你好",
        "\u{feff}带字节序标记的文本",
        "\n\n\n",
        "2025-06-26 发布 DDR2-667 内存，价格 3.5% 上涨",
        "𠀀𠀁 扩展B区汉字 〇 ㄅㄆ ｱｲｳ",
        "他说：“好。”走吧！！再见……",
    ];
    for text in texts {
        for with_pos in [false, true] {
            let answer = tokens(
                &server,
                SegmentRequest {
                    with_pos,
                    ..accurate(text)
                },
            )
            .await;
            assert_tiles(text, &answer);
            assert!(answer.iter().all(|t| t.pos.is_empty() != with_pos));
        }
    }
    // A long text without a single boundary is cut into sentences all the same.
    let text = "中".repeat(5000) + &"国".repeat(5000);
    assert_tiles(&text, &tokens(&server, accurate(&text)).await);
    server.shutdown().await;
}

#[tokio::test]
async fn a_long_text_gives_the_same_words_whole_as_by_its_sentences() {
    let server = TestServer::start().await;
    let text = crate::common::long_text(4);
    let whole = tokens(&server, accurate(&text)).await;
    assert_tiles(&text, &whole);
    // The seed's first line alone is segmented as it is inside the whole text.
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap();
    let skipped = text.find(line).unwrap();
    let whole: Vec<pb::Token> = whole
        .into_iter()
        .skip_while(|t| (t.byte_start as usize) < skipped)
        .collect();
    let alone = tokens(&server, accurate(line)).await;
    assert_eq!(words(&alone), words(&whole[..alone.len()]));
    server.shutdown().await;
}

#[tokio::test]
async fn traditional_text_is_segmented_in_its_simplified_form() {
    let server = TestServer::start().await;
    let simplified = "江泽民发表新年讲话，迈向充满希望的新世纪。";
    let traditional = "江澤民發表新年講話，邁向充滿希望的新世紀。";
    let s = tokens(&server, accurate(simplified)).await;
    for script in [Script::Traditional, Script::Auto] {
        let t = tokens(
            &server,
            SegmentRequest {
                script: script as i32,
                ..accurate(traditional)
            },
        )
        .await;
        assert_tiles(traditional, &t);
        let spans = |v: &[pb::Token]| v.iter().map(|t| (t.start, t.end)).collect::<Vec<_>>();
        assert_eq!(spans(&t), spans(&s), "{script:?}");
        assert_eq!(t[2].word, "發表");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn keywords_analyze_batches_and_compact_answers_read_accurate_words() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = crate::common::long_text(1);
    let accurate_words: HashSet<String> = tokens(&server, accurate(&text))
        .await
        .into_iter()
        .map(|t| t.word)
        .collect();
    for method in [KeywordMethod::Tfidf, KeywordMethod::Textrank] {
        let keywords = client
            .extract_keywords(ExtractKeywordsRequest {
                text: text.clone(),
                method: method as i32,
                mode: SegmentMode::Accurate as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .keywords;
        assert!(!keywords.is_empty());
        for k in &keywords {
            assert!(accurate_words.contains(&k.word), "{method:?}: {}", k.word);
        }
    }
    // FULL and SEARCH words are not ranked.
    let err = client
        .extract_keywords(ExtractKeywordsRequest {
            text: text.clone(),
            mode: SegmentMode::Full as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("mode"), "{}", err.message());

    // Analyze: the same words and keywords as the calls on their own, in one call and in a
    // batch.
    let request = AnalyzeRequest {
        text: text.clone(),
        segment: Some(SegmentOptions {
            mode: SegmentMode::Accurate as i32,
            with_pos: true,
            ..Default::default()
        }),
        keywords: Some(KeywordOptions {
            mode: SegmentMode::Accurate as i32,
            method: KeywordMethod::Textrank as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let analysis = client.analyze(request.clone()).await.unwrap().into_inner();
    let alone = tokens(&server, accurate_tagged(&text)).await;
    assert_eq!(analysis.tokens, alone);
    let batch = client
        .analyze_batch(AnalyzeBatchRequest {
            documents: vec![request.clone(), request],
        })
        .await
        .unwrap()
        .into_inner();
    for result in batch.results {
        assert_eq!(result.tokens, alone);
        assert_eq!(result.keywords, analysis.keywords);
    }
    // The compact answers carry the same words.
    let compact = client
        .segment(SegmentRequest {
            answer: SegmentAnswer::Boundaries as i32,
            ..accurate(&text)
        })
        .await
        .unwrap()
        .into_inner();
    let ends: Vec<u32> = alone.iter().map(|t| t.end).collect();
    assert_eq!(compact.ends, ends);
    server.shutdown().await;
}

/// Words the model splits when left to itself (in the PKU standard each is one word, and none is
/// in jieba's dictionary or the training lines), each in a sentence of the dev lines.
const SPLIT_WORDS: [(&str, &str); 8] = [
    ("南苑乡", "丰台区南苑乡三方会聚"),
    ("服务所", "计划生育服务所；"),
    ("空间局", "欧洲空间局的阿里安火箭"),
    ("结算权", "交易权和结算权于一身"),
    ("封顶价", "批准的封顶价还低"),
    ("出口地", "的玩具出口地。"),
    ("检查院", "南部地方检查院以伪造罪"),
    ("工作处", "离退休工作处、统战部"),
];

/// A word of [`SPLIT_WORDS`] that `server` splits, with its sentence.
async fn a_split_word(server: &TestServer) -> (&'static str, &'static str) {
    for (word, text) in SPLIT_WORDS {
        if !words(&tokens(server, accurate(text)).await).contains(&word) {
            return (word, text);
        }
    }
    panic!("the model keeps every word of SPLIT_WORDS whole on its own: find others");
}

/// Every occurrence in `text` of a word of `words` that overlaps no occurrence of another is
/// one of `answer`'s tokens.
fn assert_kept_whole(text: &str, words: &[&str], answer: &[pb::Token]) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut occurrences = Vec::new();
    for word in words {
        let w: Vec<char> = word.chars().collect();
        for start in 0..chars.len().saturating_sub(w.len() - 1) {
            if chars[start..start + w.len()] == w[..] {
                occurrences.push((start, start + w.len()));
            }
        }
    }
    let spans: HashSet<(usize, usize)> = answer
        .iter()
        .map(|t| (t.start as usize, t.end as usize))
        .collect();
    let mut checked = 0;
    for &(s, e) in &occurrences {
        let alone = occurrences
            .iter()
            .all(|&(s2, e2)| (s2, e2) == (s, e) || e2 <= s || e <= s2);
        if alone {
            assert!(
                spans.contains(&(s, e)),
                "{} split in {text:?}: {:?}",
                chars[s..e].iter().collect::<String>(),
                words_of(answer)
            );
            checked += 1;
        }
    }
    checked
}

fn words_of(tokens: &[pb::Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.word.as_str()).collect()
}

#[tokio::test]
async fn a_user_dictionary_s_words_are_kept_whole() {
    // Every gold word of three or more characters of 300 dev sentences is a user's word.
    let sentences = dev_sentences(300);
    let mut user: Vec<String> = sentences
        .iter()
        .flat_map(|s| s.words.iter())
        .filter(|w| w.chars().count() >= 3)
        .cloned()
        .collect();
    // And a word the model splits when left to itself.
    let plain = TestServer::start().await;
    let (word, text) = a_split_word(&plain).await;
    plain.shutdown().await;
    user.push(word.into());
    user.sort();
    user.dedup();
    let tmp = crate::common::temp_dir("accurate-user");
    let dict = write(tmp.path(), "user.dict", &(user.join("\n") + "\n"));

    let analyzer = Analyzer::new(&AnalyzerConfig {
        user_dicts: vec![dict],
        ..Default::default()
    })
    .unwrap();
    let server = TestServer::with_analyzer(Arc::new(analyzer), Default::default()).await;
    let user: Vec<&str> = user.iter().map(String::as_str).collect();
    let mut checked = 0;
    for sentence in sentences.iter().map(|s| s.text()).chain([text.to_owned()]) {
        let answer = tokens(&server, accurate(&sentence)).await;
        assert_tiles(&sentence, &answer);
        checked += assert_kept_whole(&sentence, &user, &answer);
    }
    assert!(checked > 300, "only {checked} occurrences checked");
    server.shutdown().await;
}

#[tokio::test]
async fn added_words_are_kept_and_removed_ones_no_longer_forced() {
    let tmp = crate::common::temp_dir("accurate-edits");
    let server = start(AnalyzerConfig::default(), Some(tmp.path())).await;
    let mut admin = admin(&server, ADMIN_TOKEN);
    let (word, text) = a_split_word(&server).await;
    let before = tokens(&server, accurate(text)).await;
    admin
        .add_words(AddWordsRequest {
            profile: String::new(),
            words: vec![WordEntry {
                word: word.into(),
                freq: None,
                tag: "ns".into(),
            }],
        })
        .await
        .unwrap();
    let tagged = tokens(&server, accurate_tagged(text)).await;
    let kept = tagged.iter().find(|t| t.word == word).expect("kept whole");
    assert_eq!(kept.pos, "ns", "the user's tag");
    admin
        .remove_words(RemoveWordsRequest {
            profile: String::new(),
            words: vec![word.into()],
        })
        .await
        .unwrap();
    let after = tokens(&server, accurate(text)).await;
    assert_eq!(words(&after), words(&before));
    server.shutdown().await;
}

#[tokio::test]
async fn list_models_names_the_segmenter_and_a_file_replaces_the_built_in_one() {
    let server = TestServer::start().await;
    let listed = server
        .client()
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    let built_in = listed.segmenter.expect("a segmenter");
    assert_eq!(
        (built_in.name.as_str(), built_in.source.as_str()),
        ("accurate", "built-in")
    );
    assert_eq!(built_in.content_hash.len(), 64);
    assert!(built_in.tags.contains(&"nr".to_owned()));
    assert!(built_in.dev_f1 > 0.97, "{}", built_in.dev_f1);
    server.shutdown().await;

    // A model trained on a few sentences where every word is one character, in the models
    // directory of a dictionary directory.
    let tmp = crate::common::temp_dir("accurate-file");
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let corpus = "中 国 人 民\n发 表 讲 话\n".repeat(20);
    let corpus_path = write(tmp.path(), "corpus.txt", &corpus);
    let sentences: Vec<_> = read_corpus(&corpus_path, false)
        .unwrap()
        .sentences
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let config = SegmenterTrainConfig {
        epochs: 2,
        ..Default::default()
    };
    let model = crate::common::analyzer()
        .train_segmenter(&sentences, &config, |_| {})
        .unwrap();
    assert!(!model.tags_words());
    std::fs::write(models.join("accurate.segmenter"), model.to_bytes()).unwrap();
    let server = start(
        AnalyzerConfig {
            dictionary_dir: Some(tmp.path().to_path_buf()),
            ..Default::default()
        },
        None,
    )
    .await;
    let listed = server
        .client()
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    let file = listed.segmenter.unwrap();
    assert!(
        file.source.ends_with("accurate.segmenter"),
        "{}",
        file.source
    );
    assert_ne!(file.content_hash, built_in.content_hash);
    assert_eq!(file.training_sentences, 40);
    assert!(file.tags.is_empty());
    let answer = tokens(&server, accurate("中国人民发表讲话")).await;
    assert_eq!(answer.len(), 8, "{:?}", words(&answer));
    // A model without tags answers with_pos without tags rather than failing.
    let tagged = tokens(&server, accurate_tagged("中国人民")).await;
    assert!(tagged.iter().all(|t| t.pos.is_empty()));
    server.shutdown().await;
}

#[test]
fn train_segmenter_rebuilds_the_committed_model_byte_for_byte() {
    let tmp = crate::common::temp_dir("accurate-train");
    let output = tmp.path().join("accurate.segmenter");
    let config = SegmenterTrainConfig::default();
    let model = textanalysis::commands::train_segmenter(&TrainSegmenterArgs {
        input: root().join("data/pku-1998-01/gold.txt"),
        output: output.clone(),
        hold_out: Some(10),
        dev: None,
        epochs: config.epochs,
        tag_epochs: config.tag_epochs,
        seed: config.seed,
        dictionary_dropout: config.dictionary_dropout,
        min_weight: config.min_weight,
        skip_bad_lines: false,
    })
    .unwrap();
    let dev = model.header().dev.expect("scored on the held-out lines");
    assert_eq!(dev.sentences, 1948);
    assert!(dev.f1 >= 0.972, "dev F1 {}", dev.f1);
    assert!(dev.oov_recall >= 0.75, "dev OOV recall {}", dev.oov_recall);
    assert!(dev.pos_accuracy.unwrap() >= 0.93, "{dev:?}");
    let committed = std::fs::read(root().join("models/accurate.segmenter")).unwrap();
    assert!(
        std::fs::read(&output).unwrap() == committed,
        "models/accurate.segmenter is not what `textanalysis train-segmenter --input \
         data/pku-1998-01/gold.txt --hold-out 10` makes"
    );
}

#[tokio::test]
async fn deadlines_cut_long_texts_and_streams_answer_in_order() {
    let server = TestServer::with_options(textanalysis::server::Settings {
        workers: 1,
        ..Default::default()
    })
    .await;
    let text = crate::common::long_text(20);
    let request = accurate_tagged(&text);
    let started = std::time::Instant::now();
    tokens(&server, request.clone()).await;
    let full = started.elapsed();
    const SEGMENT: &str = "/textanalysis.v1.TextAnalysis/Segment";
    let code = crate::errors::call_with_grpc_timeout(&server, SEGMENT, request.clone(), "1m").await;
    assert_eq!(code, Code::DeadlineExceeded);
    let started = std::time::Instant::now();
    let code =
        crate::errors::call_with_grpc_timeout(&server, SEGMENT, request.clone(), "20m").await;
    assert_eq!(code, Code::DeadlineExceeded);
    tokens(&server, accurate(&"短文本。".repeat(100))).await;
    assert!(
        started.elapsed() < full / 2,
        "the cancelled work held the worker: {:?} against {full:?}",
        started.elapsed()
    );

    // A stream of documents is answered in order, each with its own words.
    let texts = [
        "江泽民发表新年讲话。",
        "１２月３１日",
        "迈向充满希望的新世纪",
    ];
    let requests: Vec<AnalyzeRequest> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| AnalyzeRequest {
            id: i.to_string(),
            text: (*t).into(),
            segment: Some(SegmentOptions {
                mode: SegmentMode::Accurate as i32,
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let mut stream = server
        .client()
        .analyze_stream(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    for (i, text) in texts.iter().enumerate() {
        let answer = stream.message().await.unwrap().expect("an answer");
        assert_eq!(answer.id, i.to_string());
        assert_eq!(answer.tokens, tokens(&server, accurate(text)).await);
    }
    server.shutdown().await;
}

#[test]
fn a_model_dropped_into_the_models_directory_is_followed() {
    let tmp = crate::common::temp_dir("accurate-follow");
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let live = textanalysis::core::LiveAnalyzer::start(
        AnalyzerConfig {
            dictionary_dir: Some(tmp.path().to_path_buf()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(live.current().segmenter().source(), "built-in");
    let corpus = write(tmp.path(), "corpus.txt", &"中 国 人 民\n".repeat(10));
    let sentences: Vec<_> = read_corpus(&corpus, false)
        .unwrap()
        .sentences
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let model = crate::common::analyzer()
        .train_segmenter(&sentences, &SegmenterTrainConfig::default(), |_| {})
        .unwrap();
    std::fs::write(models.join("accurate.segmenter"), model.to_bytes()).unwrap();
    // A change is served once two looks agree (a file may be half written at the first).
    assert!(live.refresh().unwrap().is_none());
    let swapped = live.refresh().unwrap().expect("the new model is read");
    assert!(swapped.segmenter().source().ends_with("accurate.segmenter"));
    std::fs::remove_file(models.join("accurate.segmenter")).unwrap();
    assert!(live.refresh().unwrap().is_none());
    let back = live.refresh().unwrap().expect("the built-in model again");
    assert_eq!(back.segmenter().source(), "built-in");
}
