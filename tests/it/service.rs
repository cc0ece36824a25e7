//! The TextAnalysis service end to end: real server on 127.0.0.1:0, generated client.

use crate::common::TestServer;
use textanalysis::grpc::pb::{
    self, AnalyzeRequest, ExtractKeywordsRequest, KeywordMethod, KeywordOptions, SegmentMode,
    SegmentOptions, SegmentRequest,
};

fn words(tokens: &[pb::Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.word.as_str()).collect()
}

fn segment_request(text: &str, mode: SegmentMode) -> SegmentRequest {
    SegmentRequest {
        text: text.into(),
        mode: mode as i32,
        ..Default::default()
    }
}

/// Every token's offsets select its word, in code points and in bytes.
fn assert_offsets(text: &str, tokens: &[pb::Token]) {
    let chars: Vec<char> = text.chars().collect();
    for t in tokens {
        let by_chars: String = chars[t.start as usize..t.end as usize].iter().collect();
        assert_eq!(by_chars, t.word, "code point offsets of {t:?}");
        let by_bytes = &text.as_bytes()[t.byte_start as usize..t.byte_end as usize];
        assert_eq!(by_bytes, t.word.as_bytes(), "byte offsets of {t:?}");
    }
}

#[tokio::test]
async fn segment_returns_jieba_words_with_offsets() {
    let server = TestServer::start().await;
    let text = "我来到北京清华大学";
    let response = server
        .client()
        .segment(segment_request(text, SegmentMode::Precise))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(words(&response.tokens), ["我", "来到", "北京", "清华大学"]);
    let t = &response.tokens[3];
    assert_eq!((t.start, t.end, t.byte_start, t.byte_end), (5, 9, 15, 27));
    assert!(response.tokens.iter().all(|t| t.pos.is_empty()));
    server.shutdown().await;
}

#[tokio::test]
async fn modes_and_tags_match_python_jieba() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = "我来到北京清华大学";
    // Python: jieba.lcut(text, cut_all=True) and jieba.lcut_for_search(text)
    let full = client
        .segment(segment_request(text, SegmentMode::Full))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        words(&full.tokens),
        ["我", "来到", "北京", "清华", "清华大学", "华大", "大学"]
    );
    assert_offsets(text, &full.tokens);
    let search = client
        .segment(segment_request(text, SegmentMode::Search))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        words(&search.tokens),
        ["我", "来到", "北京", "清华", "华大", "大学", "清华大学"]
    );
    assert_offsets(text, &search.tokens);
    // Python: jieba.posseg.lcut("他来到了网易杭研大厦")
    let tagged = client
        .segment(SegmentRequest {
            text: "他来到了网易杭研大厦".into(),
            with_pos: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let pairs: Vec<(&str, &str)> = tagged
        .tokens
        .iter()
        .map(|t| (t.word.as_str(), t.pos.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("他", "r"),
            ("来到", "v"),
            ("了", "ul"),
            ("网易", "n"),
            ("杭", "j"),
            ("研", "vn"),
            ("大厦", "n")
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn hmm_can_be_disabled() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = "他来到了网易杭研大厦";
    let with_hmm = client
        .segment(segment_request(text, SegmentMode::Precise))
        .await
        .unwrap()
        .into_inner();
    let without = client
        .segment(SegmentRequest {
            disable_hmm: true,
            ..segment_request(text, SegmentMode::Precise)
        })
        .await
        .unwrap()
        .into_inner();
    assert!(words(&with_hmm.tokens).contains(&"杭研"));
    assert!(words(&without.tokens).contains(&"杭"));
    server.shutdown().await;
}

/// Inputs that break naive offset arithmetic.
fn awkward_texts() -> Vec<String> {
    vec![
        "家庭👨‍👩‍👧‍👦出游，心情😀很好".into(),
        "e\u{301}cole 和 咖啡café\u{302} 的组合".into(),
        "控制\u{0}字符\u{1}\u{7}与\t制表\r\n换行".into(),
        "עברית 与 العربية 混排 مرحبا 你好".into(),
        "\u{feff}带字节序标记的文本".into(),
        "第一行\n".repeat(10_000),
        "\n\n\n".into(),
        "2025-06-26 发布 DDR2-667 内存，价格 3.5% 上涨".into(),
        "𠀀𠀁 扩展B区汉字 〇 ㄅㄆ ｱｲｳ".into(),
    ]
}

#[tokio::test]
async fn offsets_hold_for_awkward_text_in_every_mode() {
    let server = TestServer::start().await;
    let mut client = server.client();
    for text in awkward_texts() {
        for mode in [SegmentMode::Precise, SegmentMode::Full, SegmentMode::Search] {
            for disable_hmm in [false, true] {
                let response = client
                    .segment(SegmentRequest {
                        disable_hmm,
                        with_pos: mode == SegmentMode::Precise,
                        ..segment_request(&text, mode)
                    })
                    .await
                    .unwrap()
                    .into_inner();
                assert_offsets(&text, &response.tokens);
                if mode == SegmentMode::Precise {
                    let joined: String = words(&response.tokens).concat();
                    assert_eq!(joined, text, "precise tokens tile the text");
                    assert!(response.tokens.iter().all(|t| !t.pos.is_empty()));
                }
            }
        }
        let plain = client
            .segment(segment_request(&text, SegmentMode::Precise))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(words(&plain.tokens).concat(), text);
    }
    server.shutdown().await;
}

fn seed(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn keywords_by_both_methods_on_a_seed() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = seed("000_0d2741181010ae04.txt");
    let tfidf = client
        .extract_keywords(ExtractKeywordsRequest {
            text: text.clone(),
            top_k: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // Python: jieba.analyse.extract_tags(text, topK=5, withWeight=True)
    let got: Vec<&str> = tfidf.keywords.iter().map(|k| k.word.as_str()).collect();
    assert_eq!(got, ["人工智能", "人才", "发展", "创新", "智能"]);
    assert!((tfidf.keywords[0].weight - 0.3351022597077583).abs() < 1e-9);

    let textrank = client
        .extract_keywords(ExtractKeywordsRequest {
            text,
            method: KeywordMethod::Textrank as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(textrank.keywords.len(), 20, "top_k 0 means 20");
    assert_eq!(textrank.keywords[0].word, "发展");
    assert_eq!(
        textrank.keywords[0].weight, 1.0,
        "the best TextRank keyword weighs 1.0"
    );
    assert!(
        textrank
            .keywords
            .windows(2)
            .all(|w| w[0].weight >= w[1].weight)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn allowed_pos_restricts_candidates() {
    let server = TestServer::start().await;
    let response = server
        .client()
        .extract_keywords(ExtractKeywordsRequest {
            text: seed("002_42c0c996b8dd257d.txt"),
            allowed_pos: vec!["v".into()],
            top_k: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.keywords.len(), 10);
    let tagged = textanalysis::core::Analyzer::segment(
        &crate::common::analyzer(),
        &seed("002_42c0c996b8dd257d.txt"),
        &textanalysis::core::SegmentOptions {
            with_pos: true,
            ..Default::default()
        },
        textanalysis::core::Deadline::NONE,
    )
    .unwrap()
    .into_iter()
    .filter(|t| t.pos == Some("v"))
    .map(|t| t.word.to_owned())
    .collect::<std::collections::HashSet<_>>();
    assert!(response.keywords.iter().all(|k| tagged.contains(&k.word)));
    server.shutdown().await;
}

#[tokio::test]
async fn analyze_equals_the_separate_calls() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = seed("004_2167c3420ec57bce.txt");
    for (segment, keywords) in [
        (SegmentOptions::default(), KeywordOptions::default()),
        (
            SegmentOptions {
                with_pos: true,
                ..Default::default()
            },
            KeywordOptions {
                method: KeywordMethod::Textrank as i32,
                top_k: 7,
                ..Default::default()
            },
        ),
        (
            SegmentOptions {
                mode: SegmentMode::Search as i32,
                disable_hmm: true,
                ..Default::default()
            },
            KeywordOptions {
                allowed_pos: vec!["n".into(), "vn".into()],
                ..Default::default()
            },
        ),
    ] {
        let analysis = client
            .analyze(AnalyzeRequest {
                text: text.clone(),
                segment: Some(segment),
                keywords: Some(keywords.clone()),
                classify: None,
                id: String::new(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let tokens = client
            .segment(SegmentRequest {
                text: text.clone(),
                mode: segment.mode,
                disable_hmm: segment.disable_hmm,
                with_pos: segment.with_pos,
                answer: segment.answer,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .tokens;
        let extracted = client
            .extract_keywords(ExtractKeywordsRequest {
                text: text.clone(),
                method: keywords.method,
                top_k: keywords.top_k,
                allowed_pos: keywords.allowed_pos.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .keywords;
        assert_eq!(analysis.tokens, tokens);
        assert_eq!(analysis.keywords, extracted);
    }
    let everything = client
        .analyze(AnalyzeRequest {
            text: "我来到北京清华大学".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(everything.tokens.len(), 4);
    assert_eq!(everything.keywords[0].word, "清华大学");
    let only_keywords = client
        .analyze(AnalyzeRequest {
            text: "我来到北京清华大学".into(),
            keywords: Some(KeywordOptions::default()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(only_keywords.tokens.is_empty() && !only_keywords.keywords.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn user_dictionary_changes_segmentation() {
    let tmp = crate::common::temp_dir("userdict");
    let dir = tmp.path();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("user.dict");
    std::fs::write(&path, "杭研大厦 nt\n").unwrap();
    let analyzer = textanalysis::core::Analyzer::new(&textanalysis::core::AnalyzerConfig {
        user_dicts: vec![path],
        ..Default::default()
    })
    .unwrap();
    let server = TestServer::with_analyzer(std::sync::Arc::new(analyzer), Default::default()).await;
    let response = server
        .client()
        .segment(SegmentRequest {
            text: "他来到了网易杭研大厦".into(),
            with_pos: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let last = response.tokens.last().unwrap();
    assert_eq!((last.word.as_str(), last.pos.as_str()), ("杭研大厦", "nt"));
    server.shutdown().await;
}

#[tokio::test]
async fn compact_answers_carry_the_same_words() {
    use textanalysis::grpc::pb::{
        AnalyzeBatchRequest, AnalyzeRequest, SegmentAnswer, SegmentOptions,
    };
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = seed("000_0d2741181010ae04.txt");
    let segment = |mode: SegmentMode, answer: SegmentAnswer| SegmentRequest {
        answer: answer as i32,
        ..segment_request(&text, mode)
    };
    for mode in [SegmentMode::Precise, SegmentMode::Full, SegmentMode::Search] {
        let full = client
            .segment(segment(mode, SegmentAnswer::Tokens))
            .await
            .unwrap()
            .into_inner();
        let compact = client
            .segment(segment(mode, SegmentAnswer::Words))
            .await
            .unwrap()
            .into_inner();
        assert!(compact.tokens.is_empty() && compact.ends.is_empty());
        assert_eq!(compact.words, words(&full.tokens), "{mode:?}");
    }

    // Boundaries: the client slices its own copy of the text (by code points).
    let full = client
        .segment(segment(SegmentMode::Precise, SegmentAnswer::Tokens))
        .await
        .unwrap()
        .into_inner();
    let ends = client
        .segment(segment(SegmentMode::Precise, SegmentAnswer::Boundaries))
        .await
        .unwrap()
        .into_inner()
        .ends;
    let chars: Vec<char> = text.chars().collect();
    let mut start = 0;
    let sliced: Vec<String> = ends
        .iter()
        .map(|&end| {
            let word = chars[start..end as usize].iter().collect();
            start = end as usize;
            word
        })
        .collect();
    assert_eq!(sliced, words(&full.tokens));
    assert_eq!(start, chars.len());

    // The same shapes in Analyze and in a batch.
    let analyze = |answer: SegmentAnswer| AnalyzeRequest {
        text: text.clone(),
        segment: Some(SegmentOptions {
            answer: answer as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    let analyzed = client
        .analyze(analyze(SegmentAnswer::Boundaries))
        .await
        .unwrap()
        .into_inner();
    assert!(analyzed.tokens.is_empty() && analyzed.words.is_empty());
    assert_eq!(analyzed.ends, ends);
    let batch = client
        .analyze_batch(AnalyzeBatchRequest {
            documents: vec![
                analyze(SegmentAnswer::Words),
                analyze(SegmentAnswer::Boundaries),
            ],
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(batch[0].words, words(&full.tokens));
    assert_eq!(batch[1].ends, ends);

    // What a compact answer cannot carry is refused, naming the field.
    let status = client
        .segment(SegmentRequest {
            with_pos: true,
            ..segment(SegmentMode::Precise, SegmentAnswer::Words)
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("answer"), "{status:?}");
    server.shutdown().await;
}
