//! Prometheus metrics over HTTP: calls by method and code, latency, text, shedding, in-flight
//! calls, and what the server has loaded.

use crate::common::{TestServer, http_get as scrape};
use textanalysis::grpc::pb::{ClassifyRequest, ListModelsRequest, SegmentRequest};
use textanalysis::metrics;

#[tokio::test]
async fn metrics_count_calls_by_method_and_code() {
    let server = TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(metrics::serve(listener, server.metrics.clone()));

    let mut client = server.client();
    for _ in 0..2 {
        client
            .segment(SegmentRequest {
                text: "我来到北京清华大学".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    client.segment(SegmentRequest::default()).await.unwrap_err();
    client
        .classify(ClassifyRequest {
            text: "很好".into(),
            model: "spam".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    client.list_models(ListModelsRequest {}).await.unwrap();

    let page = scrape(addr, "/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for expected in [
        r#"textanalysis_calls_total{method="Segment",code="Ok"} 2"#,
        r#"textanalysis_calls_total{method="Segment",code="InvalidArgument"} 1"#,
        r#"textanalysis_calls_total{method="Classify",code="NotFound"} 1"#,
        r#"textanalysis_calls_total{method="ListModels",code="Ok"} 1"#,
        // A refused call's text is counted too.
        r#"textanalysis_text_chars_total{method="Classify"} 2"#,
        r#"textanalysis_call_duration_seconds_count{method="Segment"} 3"#,
        r#"textanalysis_text_chars_total{method="Segment"} 18"#,
        "textanalysis_shed_total 0",
        "textanalysis_in_flight_calls 0",
        r#"textanalysis_build_info{version=""#,
        r#"textanalysis_model{name="sentiment",labels="neg,pos""#,
        "textanalysis_dictionary_generation 1",
        r#"textanalysis_dictionary_word_edits{edit="added"} 0"#,
    ] {
        assert!(page.contains(expected), "missing {expected} in:\n{page}");
    }
    // Request text never appears.
    assert!(!page.contains("北京"));
    assert!(scrape(addr, "/other").await.starts_with("HTTP/1.1 404"));
    server.shutdown().await;
}
