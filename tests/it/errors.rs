//! Bad input gets a clear status with the offending field named, never a panic or INTERNAL,
//! and the server keeps serving afterwards.

use crate::common::{TestServer, long_text};
use std::time::{Duration, Instant};
use textanalysis::edge::Limits;
use textanalysis::grpc::pb::{
    AnalyzeRequest, ExtractKeywordsRequest, KeywordOptions, SegmentOptions, SegmentRequest,
};
use textanalysis::server::Settings;
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

/// The fields named by the status's BadRequest details.
fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .expect("INVALID_ARGUMENT carries google.rpc.BadRequest")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

async fn assert_serving(server: &TestServer) {
    let response = HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(response.into_inner().status, 1, "SERVING");
}

#[tokio::test]
async fn bad_fields_are_invalid_argument_naming_each_field() {
    let server = TestServer::with_options(Settings {
        limits: Limits {
            max_text_chars: 10,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let mut client = server.client();
    let segment = |text: &str, mode: i32, with_pos: bool| SegmentRequest {
        text: text.into(),
        mode,
        with_pos,
        ..Default::default()
    };
    let cases: Vec<(SegmentRequest, Vec<&str>)> = vec![
        (segment("", 0, false), vec!["text"]),
        (segment("十一个字的文本在这里呀", 0, false), vec!["text"]),
        (segment("文本", 7, false), vec!["mode"]),
        (segment("文本", -1, false), vec!["mode"]),
        (segment("文本", 1, true), vec!["with_pos"]),
        (segment("", 9, false), vec!["text", "mode"]),
    ];
    for (request, fields) in cases {
        let status = client.segment(request.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        assert_eq!(violated_fields(&status), fields, "{request:?}");
    }
    // Exactly at the limit is fine.
    client
        .segment(segment("十个字的文本在这里呀", 0, false))
        .await
        .unwrap();

    let keywords = |top_k: u32, method: i32, allowed_pos: Vec<&str>| ExtractKeywordsRequest {
        text: "文本".into(),
        method,
        top_k,
        allowed_pos: allowed_pos.into_iter().map(String::from).collect(),
        ..Default::default()
    };
    let cases = vec![
        (keywords(1001, 0, vec![]), vec!["top_k"]),
        (keywords(u32::MAX, 0, vec![]), vec!["top_k"]),
        (keywords(5, 2, vec![]), vec!["method"]),
        (keywords(5, 0, vec!["n", " v"]), vec!["allowed_pos[1]"]),
        (keywords(5, 0, vec!["n"; 65]), vec!["allowed_pos"]),
    ];
    for (request, fields) in cases {
        let status = client.extract_keywords(request.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), fields, "{request:?}");
    }
    client
        .extract_keywords(keywords(1000, 1, vec!["n"]))
        .await
        .unwrap();

    let status = client
        .analyze(AnalyzeRequest {
            text: String::new(),
            segment: Some(SegmentOptions {
                mode: 5,
                ..Default::default()
            }),
            keywords: Some(KeywordOptions {
                top_k: 2000,
                ..Default::default()
            }),
            classify: None,
            id: String::new(),
            script: 9,
            profile: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        ["text", "segment.mode", "keywords.top_k", "script"]
    );
    assert!(
        status.message().contains("keywords.top_k"),
        "{}",
        status.message()
    );
    assert_serving(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_message_is_resource_exhausted() {
    let server = TestServer::with_options(Settings {
        max_message_bytes: 1024,
        ..Default::default()
    })
    .await;
    let status = server
        .client()
        .segment(SegmentRequest {
            text: "长".repeat(400),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    server
        .client()
        .segment(SegmentRequest {
            text: "短".repeat(300),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_serving(&server).await;
    server.shutdown().await;
}

/// Sends raw protobuf bytes to a method, as a broken or hostile client might.
async fn send_raw(server: &TestServer, method: &'static str, body: Vec<u8>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(server.channel.clone());
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<RawMessage, RawMessage>::default();
    grpc.unary(
        tonic::Request::new(RawMessage { bytes: body }),
        PathAndQuery::from_static(method),
        codec,
    )
    .await
    .unwrap_err()
}

/// A message that encodes to exactly the bytes it holds.
#[derive(Clone, Debug, Default, PartialEq)]
struct RawMessage {
    bytes: Vec<u8>,
}

impl prost::Message for RawMessage {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        buf.put_slice(&self.bytes);
    }
    fn merge_field(
        &mut self,
        _tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl prost::bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, _tag, buf, ctx)
    }
    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }
    fn clear(&mut self) {
        self.bytes.clear();
    }
}

#[tokio::test]
async fn undecodable_requests_are_invalid_argument() {
    let server = TestServer::start().await;
    // Field 1 (text), length-delimited, holding bytes that are not UTF-8.
    let invalid_utf8 = vec![0x0a, 0x04, 0xe6, 0x88, 0xff, 0xfe];
    // Field 1 announcing 100 bytes but carrying 2.
    let truncated = vec![0x0a, 100, b'a', b'b'];
    // A varint that never ends.
    let runaway_varint = vec![0x10, 0xff, 0xff, 0xff];
    for method in [
        "/textanalysis.v1.TextAnalysis/Segment",
        "/textanalysis.v1.TextAnalysis/ExtractKeywords",
        "/textanalysis.v1.TextAnalysis/Analyze",
    ] {
        for body in [&invalid_utf8, &truncated, &runaway_varint] {
            let status = send_raw(&server, method, body.clone()).await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{method} {body:?}: {status:?}"
            );
        }
    }
    // An unknown method is UNIMPLEMENTED, as gRPC says.
    let status = send_raw(&server, "/textanalysis.v1.TextAnalysis/Nope", vec![]).await;
    assert_eq!(status.code(), Code::Unimplemented);
    assert_serving(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn hostile_but_valid_text_is_analysed() {
    let server = TestServer::start().await;
    let mut client = server.client();
    let texts = [
        "无标点的长文本".repeat(30_000),
        "a".repeat(100_000),
        "\u{0}".repeat(1000),
        "👍🏽".repeat(5000),
        " ".repeat(10_000),
    ];
    for text in texts {
        let tokens = client
            .segment(SegmentRequest {
                text: text.clone(),
                with_pos: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .tokens;
        let joined: String = tokens.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(joined, text);
        for method in [0, 1] {
            client
                .extract_keywords(ExtractKeywordsRequest {
                    text: text.clone(),
                    method,
                    ..Default::default()
                })
                .await
                .unwrap();
        }
    }
    assert_serving(&server).await;
    server.shutdown().await;
}

fn tagging(text: &str) -> SegmentRequest {
    SegmentRequest {
        text: text.to_owned(),
        with_pos: true,
        ..Default::default()
    }
}

/// Makes one unary call over a bare HTTP/2 connection with a `grpc-timeout` header, and
/// returns the `grpc-status` the server answered with. tonic's client would start its own timer
/// from that header and report CANCELLED itself; this shows what the server says.
pub(crate) async fn call_with_grpc_timeout(
    server: &TestServer,
    method: &str,
    message: impl prost::Message,
    timeout: &str,
) -> Code {
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let request = http::Request::post(format!("http://{}{method}", server.addr))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("grpc-timeout", timeout)
        .body(())
        .unwrap();
    let (response, mut body) = client.send_request(request, false).unwrap();
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    body.reserve_capacity(frame.len());
    body.send_data(frame.into(), true).unwrap();
    let response = response.await.unwrap();
    let header_status = response.headers().get("grpc-status").cloned();
    let mut stream = response.into_body();
    while let Some(chunk) = stream.data().await {
        let chunk = chunk.unwrap();
        let _ = stream.flow_control().release_capacity(chunk.len());
    }
    let trailers = stream.trailers().await.unwrap();
    let status = header_status
        .or_else(|| trailers.and_then(|t| t.get("grpc-status").cloned()))
        .expect("a grpc-status");
    Code::from(status.to_str().unwrap().parse::<i32>().unwrap())
}

#[tokio::test]
async fn deadlines_end_calls_with_deadline_exceeded_and_free_the_worker() {
    let server = TestServer::with_options(Settings {
        workers: 1,
        ..Default::default()
    })
    .await;
    let mut client = server.client();
    let text = long_text(20);
    let started = Instant::now();
    client.segment(tagging(&text)).await.unwrap();
    let full = started.elapsed();

    // A deadline already spent (1 ms, less the server's margin): the work is not started.
    const SEGMENT: &str = "/textanalysis.v1.TextAnalysis/Segment";
    let code = call_with_grpc_timeout(&server, SEGMENT, tagging(&text), "1m").await;
    assert_eq!(code, Code::DeadlineExceeded);

    // A 20 ms deadline on a long document, then a call behind it on the one worker: the work
    // stops at its next check, so the second call does not wait for the whole first one.
    let started = Instant::now();
    let code = call_with_grpc_timeout(&server, SEGMENT, tagging(&text), "20m").await;
    assert_eq!(code, Code::DeadlineExceeded);
    client
        .segment(tagging(&"短文本。".repeat(100)))
        .await
        .unwrap();
    assert!(
        started.elapsed() < full / 2,
        "the cancelled work held the worker: {:?} against {full:?} for the whole text",
        started.elapsed()
    );
    // A malformed grpc-timeout is the client's mistake, said plainly.
    for malformed in ["soon", "-1S", "123456789S", "5s", ""] {
        let code = call_with_grpc_timeout(&server, SEGMENT, tagging("短文本"), malformed).await;
        assert_eq!(code, Code::InvalidArgument, "{malformed:?}");
    }
    assert_serving(&server).await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_server_default_timeout_applies_without_a_client_deadline() {
    let server = TestServer::with_options(Settings {
        limits: Limits {
            // Long enough for a 2.7 MB request to arrive on a busy machine; far too short to
            // tag 955K characters with the accurate segmenter (about a second).
            default_timeout: Some(Duration::from_millis(100)),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let mut client = server.client();
    let long = long_text(100);
    let slow = SegmentRequest {
        mode: textanalysis::grpc::pb::SegmentMode::Accurate as i32,
        ..tagging(&long)
    };
    let status = client.segment(slow).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // Short work finishes well within it.
    client.segment(tagging("我来到北京清华大学")).await.unwrap();
    // In a batch, a document the deadline cuts short fails alone, with DEADLINE_EXCEEDED.
    let results = client
        .analyze_batch(textanalysis::grpc::pb::AnalyzeBatchRequest {
            documents: vec![AnalyzeRequest {
                text: long,
                segment: Some(SegmentOptions {
                    with_pos: true,
                    mode: textanalysis::grpc::pb::SegmentMode::Accurate as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }],
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let error = results[0].error.as_ref().expect("the document failed");
    assert_eq!(error.code, Code::DeadlineExceeded as i32, "{error:?}");
    assert_serving(&server).await;
    server.shutdown().await;
}
