//! Batch and streaming analysis: order, ids, per-document errors, and equality with single
//! calls.

use crate::common::TestServer;
use textanalysis::grpc::pb::{
    AnalyzeBatchRequest, AnalyzeRequest, ClassifyOptions, KeywordOptions, SegmentOptions,
};
use tonic::Code;

fn document(id: &str, text: &str) -> AnalyzeRequest {
    AnalyzeRequest {
        id: id.into(),
        text: text.into(),
        ..Default::default()
    }
}

fn reviews() -> Vec<String> {
    let dev = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sentiment/dev.tsv"),
    )
    .unwrap();
    dev.lines()
        .take(60)
        .map(|l| l.split_once('\t').unwrap().1.to_owned())
        .collect()
}

#[tokio::test]
async fn a_batch_answers_every_document_in_order_and_fails_only_bad_ones() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let mut documents: Vec<AnalyzeRequest> = reviews()
        .iter()
        .enumerate()
        .map(|(i, t)| document(&format!("r{i}"), t))
        .collect();
    documents.insert(3, document("empty", ""));
    documents.insert(
        7,
        AnalyzeRequest {
            classify: Some(ClassifyOptions {
                model: "spam".into(),
                top_k: 0,
            }),
            ..document("unknown-model", "文本")
        },
    );
    let results = client
        .analyze_batch(AnalyzeBatchRequest {
            documents: documents.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(results.len(), documents.len());
    for (request, result) in documents.iter().zip(&results) {
        assert_eq!(request.id, result.id);
        match request.id.as_str() {
            "empty" => {
                let error = result.error.as_ref().unwrap();
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(error.field_violations[0].field, "text");
                assert!(result.tokens.is_empty());
            }
            "unknown-model" => {
                let error = result.error.as_ref().unwrap();
                assert_eq!(error.code, Code::NotFound as i32);
                assert!(error.message.contains("spam"));
            }
            _ => {
                assert!(result.error.is_none());
                // Each result equals the single call for the same document.
                let single = client.analyze(request.clone()).await.unwrap().into_inner();
                assert_eq!(&single, result);
            }
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_whole() {
    let server = TestServer::start().await;
    let documents = vec![document("x", "文本"); 1001];
    let status = server
        .client()
        .analyze_batch(AnalyzeBatchRequest { documents })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("documents"),
        "{}",
        status.message()
    );
    let empty = server
        .client()
        .analyze_batch(AnalyzeBatchRequest {
            documents: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(empty.results.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_stream_answers_in_order_with_ids_and_survives_bad_documents() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let mut requests: Vec<AnalyzeRequest> = reviews()
        .iter()
        .enumerate()
        .map(|(i, t)| AnalyzeRequest {
            segment: Some(SegmentOptions::default()),
            keywords: Some(KeywordOptions {
                top_k: 3,
                ..Default::default()
            }),
            ..document(&i.to_string(), t)
        })
        .collect();
    requests[10].text.clear();
    let responses: Vec<_> = client
        .analyze_stream(tokio_stream::iter(requests.clone()))
        .await
        .unwrap()
        .into_inner()
        .collect_all()
        .await;
    assert_eq!(responses.len(), requests.len());
    for (i, (request, response)) in requests.iter().zip(&responses).enumerate() {
        assert_eq!(response.id, request.id);
        if i == 10 {
            assert_eq!(
                response.error.as_ref().unwrap().code,
                Code::InvalidArgument as i32
            );
        } else {
            let joined: String = response.tokens.iter().map(|t| t.word.as_str()).collect();
            assert_eq!(joined, request.text);
            assert!(response.classification.is_none(), "only what was asked for");
        }
    }
    server.shutdown().await;
}

trait CollectAll {
    async fn collect_all(self) -> Vec<textanalysis::grpc::pb::AnalyzeResponse>;
}

impl CollectAll for tonic::Streaming<textanalysis::grpc::pb::AnalyzeResponse> {
    async fn collect_all(mut self) -> Vec<textanalysis::grpc::pb::AnalyzeResponse> {
        let mut out = Vec::new();
        while let Some(message) = self.message().await.unwrap() {
            out.push(message);
        }
        out
    }
}
