//! A client of the textanalysis service, as a backend service would write one: the generated
//! client, a deadline on every call, and the field violations of a refused request.
//!
//! ```sh
//! cargo run --release &                          # a server on 127.0.0.1:50051
//! cargo run --example client                     # or: -- http://HOST:PORT
//! ```

use std::time::Duration;

use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::grpc::pb::{
    AnalyzeRequest, ClassifyOptions, ClassifyRequest, ExtractKeywordsRequest, KeywordMethod,
    SegmentRequest,
};
use tonic::Request;
use tonic_types::StatusExt;

/// Every call gets a deadline, sent to the server as `grpc-timeout`.
fn with_deadline<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(Duration::from_secs(5));
    request
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:50051".to_owned());
    let mut client = TextAnalysisClient::connect(addr).await?;

    let tokens = client
        .segment(with_deadline(SegmentRequest {
            text: "我来到北京清华大学".into(),
            with_pos: true,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .tokens;
    for t in &tokens {
        println!("segment: {} [{}..{}) {}", t.word, t.start, t.end, t.pos);
    }

    let keywords = client
        .extract_keywords(with_deadline(ExtractKeywordsRequest {
            text: "人工智能是引领新一轮科技革命和产业变革的战略性技术，人工智能产业发展迅速。"
                .into(),
            method: KeywordMethod::Textrank.into(),
            top_k: 3,
            ..Default::default()
        }))
        .await?
        .into_inner()
        .keywords;
    for k in &keywords {
        println!("keyword: {} {:.3}", k.word, k.weight);
    }

    let labels = client
        .classify(with_deadline(ClassifyRequest {
            text: "质量很好，物流也快，非常满意".into(),
            ..Default::default()
        }))
        .await?
        .into_inner()
        .labels;
    println!("classify: {} {:.3}", labels[0].label, labels[0].probability);

    // A stream of documents, answered in order, each with its id.
    let documents = ["很好用", "太差了"].map(|text| AnalyzeRequest {
        id: text.into(),
        text: text.into(),
        classify: Some(ClassifyOptions::default()),
        ..Default::default()
    });
    let mut answers = client
        .analyze_stream(with_deadline(tokio_stream::iter(documents)))
        .await?
        .into_inner();
    while let Some(answer) = answers.message().await? {
        let label = answer
            .classification
            .and_then(|c| c.labels.into_iter().next())
            .map(|l| l.label)
            .unwrap_or_default();
        println!("stream: {} → {label}", answer.id);
    }

    // A refused request names every bad field in a google.rpc.BadRequest detail.
    let refused = client
        .segment(with_deadline(SegmentRequest::default()))
        .await
        .expect_err("an empty text is refused");
    let violations = refused
        .get_details_bad_request()
        .map(|b| b.field_violations)
        .unwrap_or_default();
    for v in &violations {
        println!(
            "refused: {:?} {}: {}",
            refused.code(),
            v.field,
            v.description
        );
    }
    if violations.is_empty() {
        return Err("the refusal carried no BadRequest detail".into());
    }
    Ok(())
}
