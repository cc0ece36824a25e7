//! Classification: the default model out of the box, named models from a directory, the
//! retraining guarantee, and bad input.

use std::path::Path;
use std::sync::Arc;

use crate::common::TestServer;
use textanalysis::core::classify::{self, Example, TrainConfig};
use textanalysis::core::{Analyzer, AnalyzerConfig, Script};
use textanalysis::grpc::pb::{AnalyzeRequest, ClassifyOptions, ClassifyRequest, ListModelsRequest};
use tonic::Code;
use tonic_types::StatusExt;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples(name: &str) -> Vec<Example> {
    classify::read_examples(&root().join("data/sentiment").join(name), false)
        .unwrap()
        .examples
}

#[test]
fn retraining_rebuilds_the_committed_model_byte_for_byte() {
    let analyzer = crate::common::analyzer();
    let mut epochs = 0;
    let model = analyzer
        .train(&examples("train.tsv"), &TrainConfig::default(), |_| {
            epochs += 1
        })
        .unwrap();
    assert_eq!(epochs, TrainConfig::default().epochs);
    let evaluation = analyzer.evaluate(&model, &examples("dev.tsv"), Script::Simplified);
    assert!(
        evaluation.accuracy() >= 0.859,
        "dev accuracy {}",
        evaluation.accuracy()
    );
    let committed = std::fs::read(root().join("models/sentiment.model")).unwrap();
    assert!(
        model.to_bytes() == committed,
        "models/sentiment.model is not what `textanalysis train` makes from data/sentiment/train.tsv"
    );
}

fn sum(labels: &[textanalysis::grpc::pb::LabelProbability]) -> f64 {
    labels.iter().map(|l| l.probability).sum()
}

#[tokio::test]
async fn the_default_model_classifies_out_of_the_box() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let response = client
        .classify(ClassifyRequest {
            text: "质量很好，物流也快，非常满意".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.model, "sentiment");
    assert_eq!(response.labels.len(), 2);
    assert_eq!(response.labels[0].label, "pos");
    assert!(response.labels[0].probability > 0.5);
    assert!((sum(&response.labels) - 1.0).abs() < 1e-9);

    let response = client
        .classify(ClassifyRequest {
            text: "太差了，用了两天就坏了，客服也不理人".into(),
            model: "sentiment".into(),
            top_k: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.labels.len(), 1);
    assert_eq!(response.labels[0].label, "neg");

    let models = client
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(models.server_version, env!("CARGO_PKG_VERSION"));
    let [model] = models.models.as_slice() else {
        panic!("{models:?}")
    };
    assert_eq!(
        (model.name.as_str(), model.default, model.format_version),
        ("sentiment", true, 1)
    );
    assert_eq!(model.labels, ["neg", "pos"]);
    let committed = std::fs::read(root().join("models/sentiment.model")).unwrap();
    assert_eq!(model.content_hash, classify::content_hash(&committed));
    server.shutdown().await;
}

#[tokio::test]
async fn analyze_classifies_with_the_same_segmentation() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let text = "这本书写得很好，推荐大家看";
    let analysis = client
        .analyze(AnalyzeRequest {
            text: text.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let classification = analysis.classification.expect("all parts by default");
    let direct = client
        .classify(ClassifyRequest {
            text: text.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(classification, direct);
    assert!(!analysis.tokens.is_empty() && !analysis.keywords.is_empty());
    let only = client
        .analyze(AnalyzeRequest {
            text: text.into(),
            classify: Some(ClassifyOptions {
                top_k: 1,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(only.tokens.is_empty() && only.keywords.is_empty());
    assert_eq!(only.classification.unwrap().labels.len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_model_is_not_found_naming_what_exists() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let status = client
        .classify(ClassifyRequest {
            text: "文本".into(),
            model: "spam".into(),
            top_k: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(status.message().contains("`spam`") && status.message().contains("sentiment"));
    let info = status
        .get_details_resource_info()
        .expect("ResourceInfo details");
    assert_eq!(
        (info.resource_type.as_str(), info.resource_name.as_str()),
        ("model", "spam")
    );
    let status = client
        .analyze(AnalyzeRequest {
            text: "文本".into(),
            classify: Some(ClassifyOptions {
                model: "spam".into(),
                top_k: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .classify(ClassifyRequest {
            text: String::new(),
            model: String::new(),
            top_k: 5000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["text", "top_k"]);
    server.shutdown().await;
}

/// A directory holding one small three-label model, trained here.
fn models_dir(test: &str) -> tempfile::TempDir {
    let tmp = crate::common::temp_dir(test);
    let dir = tmp.path();
    let data = [
        ("sport", "比赛 进球 球队 冠军 足球"),
        ("sport", "篮球 比赛 得分 球员"),
        ("tech", "芯片 算法 人工智能 软件"),
        ("tech", "手机 处理器 系统 更新"),
        ("food", "米饭 面条 好吃 餐厅"),
    ];
    let examples: Vec<Example> = data
        .iter()
        .map(|(l, t)| Example {
            label: l.to_string(),
            text: t.to_string(),
        })
        .collect();
    let config = TrainConfig {
        features: classify::FeatureSpec {
            buckets: 1 << 12,
            ..Default::default()
        },
        epochs: 50,
        l2: 1e-4,
        learning_rate: 0.5,
        ..TrainConfig::default()
    };
    let model = crate::common::analyzer()
        .train(&examples, &config, |_| {})
        .unwrap();
    std::fs::write(dir.join("topics.model"), model.to_bytes()).unwrap();
    std::fs::write(dir.join("README.txt"), "not a model: ignored").unwrap();
    tmp
}

#[tokio::test]
async fn a_models_directory_adds_named_models() {
    let tmp = models_dir("named-models");
    let dir = tmp.path().to_path_buf();
    let analyzer = Analyzer::new(&AnalyzerConfig {
        models_dir: Some(dir.clone()),
        ..Default::default()
    })
    .unwrap();
    let server = TestServer::with_analyzer(Arc::new(analyzer), Default::default()).await;
    let mut client = server.client();
    let models = client
        .list_models(ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .models;
    let names: Vec<(&str, bool)> = models
        .iter()
        .map(|m| (m.name.as_str(), m.default))
        .collect();
    assert_eq!(names, [("sentiment", true), ("topics", false)]);
    assert_eq!(models[1].labels, ["food", "sport", "tech"]);
    let response = client
        .classify(ClassifyRequest {
            text: "球队在比赛最后时刻进球".into(),
            model: "topics".into(),
            top_k: 0,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.model, "topics");
    assert_eq!(response.labels.len(), 3);
    assert_eq!(response.labels[0].label, "sport");
    assert!((sum(&response.labels) - 1.0).abs() < 1e-9);
    server.shutdown().await;

    let analyzer = Analyzer::new(&AnalyzerConfig {
        models_dir: Some(dir.clone()),
        default_model: Some("topics".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(analyzer.models().default_name(), Some("topics"));
    let err = Analyzer::new(&AnalyzerConfig {
        default_model: Some("missing".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn damaged_model_files_stop_start_up_naming_the_file() {
    let tmp = models_dir("damaged-models");
    let dir = tmp.path().to_path_buf();
    let good = std::fs::read(dir.join("topics.model")).unwrap();
    let mut future = good.clone();
    future[8] = 9;
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    for (name, bytes, reason) in [
        (
            "truncated.model",
            good[..good.len() / 3].to_vec(),
            "checksum",
        ),
        ("future.model", future, "newer than this build"),
        ("corrupt.model", flipped, "checksum"),
        ("empty.model", Vec::new(), "magic"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = Analyzer::new(&AnalyzerConfig {
            models_dir: Some(dir.clone()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains(name) && err.contains(reason), "{name}: {err}");
        std::fs::remove_file(path).unwrap();
    }
}
