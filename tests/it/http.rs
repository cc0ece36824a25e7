//! The HTTP/JSON door through the real `curl`: every README grpcurl example has a curl twin
//! whose JSON equals grpcurl's field for field, the README shows each twin, errors get the HTTP
//! status of their code and a `google.rpc.Status` body, the stream is newline-delimited, the
//! OpenAPI document is served, and gRPC-Web and CORS answer as a browser expects.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use textanalysis::edge::Limits;
use textanalysis::server::Settings;

use crate::common::{TestServer, long_text};
use crate::grpcurl::{grpcurl, ok_json, with_server};

/// What curl got: the HTTP status, the headers (lower-cased names) and the body.
#[derive(Debug)]
pub(crate) struct CurlAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl CurlAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Runs `curl -sS -i ARGS http://ADDR PATH`, feeding `stdin` when given.
pub(crate) fn curl(
    addr: SocketAddr,
    args: &[&str],
    path: &str,
    stdin: Option<&[u8]>,
) -> CurlAnswer {
    let mut child = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "30"])
        .args(args)
        .arg(format!("http://{addr}{path}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl runs");
    let input = stdin.unwrap_or_default().to_vec();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut rest = text.as_str();
    // Interim answers (100 Continue) come first.
    loop {
        let (head, body) = rest.split_once("\r\n\r\n").expect("an HTTP answer");
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        if status == 100 {
            rest = body;
            continue;
        }
        let headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        return CurlAnswer {
            status,
            headers,
            body: body.to_owned(),
        };
    }
}

/// `curl -d BODY` to `route` (GET when there is no body).
fn post(addr: SocketAddr, route: &str, body: Option<&str>) -> CurlAnswer {
    match body {
        Some(body) => curl(addr, &["-d", body], route, None),
        None => curl(addr, &[], route, None),
    }
}

/// The README's examples: the request, its gRPC method and its HTTP route.
const README_EXAMPLES: [(&str, &str, &str); 9] = [
    (
        r#"{"text":"我来到北京清华大学"}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"他来到了网易杭研大厦","with_pos":true}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"１２月３１日，国家主席江泽民发表１９９８年新年讲话"}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"１２月３１日，国家主席江泽民发表１９９８年新年讲话","mode":"ACCURATE","with_pos":true}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"质量很好，物流也快，非常满意"}"#,
        "TextAnalysis/Classify",
        "/v1/classify",
    ),
    (
        r#"{"text":"小明硕士毕业于中国科学院计算所，后在日本京都大学深造","segment":{},"keywords":{"top_k":3},"classify":{}}"#,
        "TextAnalysis/Analyze",
        "/v1/analyze",
    ),
    (
        r#"{"text":"我来到北京清华大学","answer":"WORDS"}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"這個國家的頭髮問題很嚴重","script":"AUTO"}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
    (
        r#"{"text":"云原生数据湖正在改变数据分析"}"#,
        "TextAnalysis/Segment",
        "/v1/segment",
    ),
];

const README: &str = include_str!("../../README.md");
const SEED: &str = include_str!("../../seeds/000_0d2741181010ae04.txt");

fn grpcurl_json(server: &TestServer, body: &str, method: &str) -> Value {
    ok_json(grpcurl(
        server,
        &["-d", body, "--", &format!("textanalysis.v1.{method}")],
        None,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_readme_example_has_a_curl_twin_answering_as_grpcurl() {
    with_server(|server| {
        for (body, method, route) in README_EXAMPLES {
            let twin = format!("curl -d '{body}' localhost:50051{route}");
            assert!(README.contains(&twin), "the README lacks `{twin}`");
            let answer = post(server.addr, route, Some(body));
            assert_eq!(answer.status, 200, "{route} {body}: {}", answer.body);
            assert_eq!(answer.header("content-type"), Some("application/json"));
            assert_eq!(answer.json(), grpcurl_json(server, body, method), "{body}");
        }
        // Keywords of a seed document, over either segmenter (jq makes the body in the README).
        for mode in ["PRECISE", "ACCURATE"] {
            let body = json!({"text": SEED, "top_k": 10, "mode": mode}).to_string();
            let answer = curl(server.addr, &["--data-binary", "@-"], "/v1/keywords", Some(body.as_bytes()));
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert_eq!(answer.json(), grpcurl_json(server, &body, "TextAnalysis/ExtractKeywords"));
        }
        assert!(README.contains("curl --data-binary @- localhost:50051/v1/keywords"));
        // What the server has loaded: GET, no body.
        let models = post(server.addr, "/v1/models", None);
        assert_eq!(models.status, 200);
        assert_eq!(models.json(), grpcurl_json(server, "{}", "TextAnalysis/ListModels"));
        assert!(README.contains("curl localhost:50051/v1/models"));
        // A stream: newline-delimited JSON in and out, one answer a line, in order.
        let lines = "{\"id\":\"1\",\"text\":\"很好用\",\"classify\":{}}\n{\"id\":\"2\",\"text\":\"太差了\",\"classify\":{}}\n";
        let answer = curl(
            server.addr,
            &["--data-binary", "@-", "-H", "content-type: application/x-ndjson"],
            "/v1/analyze:stream",
            Some(lines.as_bytes()),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/x-ndjson"));
        let got: Vec<Value> = answer.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let expected: Vec<Value> = serde_json::Deserializer::from_slice(
            &grpcurl(server, &["-d", "@", "--", "textanalysis.v1.TextAnalysis/AnalyzeStream"], Some(lines)).stdout,
        )
        .into_iter()
        .map(Result::unwrap)
        .collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 2);
        assert!(README.contains("curl --data-binary @- localhost:50051/v1/analyze:stream"));
        // Over HTTP/2 (h2c) too.
        let h2 = curl(server.addr, &["--http2-prior-knowledge", "-d", README_EXAMPLES[0].0], "/v1/segment", None);
        assert_eq!(h2.status, 200);
        assert_eq!(h2.json(), grpcurl_json(server, README_EXAMPLES[0].0, "TextAnalysis/Segment"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_get_the_http_status_of_their_code_and_a_status_body() {
    with_server(|server| {
        let addr = server.addr;
        // A bad field: 400 with the same BadRequest as over gRPC.
        let empty = post(addr, "/v1/segment", Some(r#"{"text":""}"#));
        assert_eq!(empty.status, 400);
        assert_eq!(
            empty.json(),
            json!({"code": 3, "message": "text: must not be empty", "details": [
                {"@type": "type.googleapis.com/google.rpc.BadRequest",
                 "fieldViolations": [{"field": "text", "description": "must not be empty"}]}]})
        );
        // snake_case and lowerCamelCase are both accepted; unknown fields and bad JSON are not.
        assert_eq!(
            post(
                addr,
                "/v1/segment",
                Some(r#"{"text":"好","disableHmm":true,"with_pos":true}"#)
            )
            .status,
            200
        );
        for (body, says) in [
            (r#"{"txt":"好"}"#, "unknown field `txt`"),
            (r#"{"text":"好""#, "EOF"),
            (r#"{"text":"好","mode":"FAST"}"#, "FAST"),
            (r#"{"text":7}"#, "invalid type"),
        ] {
            let answer = post(addr, "/v1/segment", Some(body));
            assert_eq!(answer.status, 400, "{body}: {}", answer.body);
            let status = answer.json();
            assert_eq!(status["code"], 3);
            assert!(
                status["message"].as_str().unwrap().contains(says),
                "{body}: {status}"
            );
        }
        // An unknown profile: 404 with its ResourceInfo.
        let unknown = post(
            addr,
            "/v1/segment",
            Some(r#"{"text":"好","profile":"nope"}"#),
        );
        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.json()["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ResourceInfo"
        );
        // Routes, verbs and content types.
        let nowhere = post(addr, "/v2/segment", Some("{}"));
        assert_eq!(nowhere.status, 404);
        assert!(
            nowhere.json()["message"]
                .as_str()
                .unwrap()
                .contains("/v1/openapi.json")
        );
        let get = curl(addr, &[], "/v1/segment", None);
        assert_eq!(get.status, 405);
        assert_eq!(get.header("allow"), Some("POST"));
        let xml = curl(
            addr,
            &["-H", "content-type: text/xml", "-d", "<a/>"],
            "/v1/segment",
            None,
        );
        assert_eq!(xml.status, 415);
        assert!(xml.json()["message"].as_str().unwrap().contains("text/xml"));
        // Over the size limit: refused from its Content-Length, and chunked as it arrives.
        let big = vec![b' '; 5 << 20];
        let declared = curl(addr, &["--data-binary", "@-"], "/v1/segment", Some(&big));
        assert_eq!(declared.status, 413, "{}", declared.body);
        assert!(
            declared.json()["message"]
                .as_str()
                .unwrap()
                .contains("--max-message-bytes")
        );
        let chunked = curl(
            addr,
            &["--data-binary", "@-", "-H", "transfer-encoding: chunked"],
            "/v1/segment",
            Some(&big),
        );
        assert_eq!(chunked.status, 413, "{}", chunked.body);
        // A malformed timeout.
        let timeout = curl(
            addr,
            &["-H", "x-timeout-ms: soon", "-d", r#"{"text":"好"}"#],
            "/v1/segment",
            None,
        );
        assert_eq!(timeout.status, 400);
        // The OpenAPI document, and the server still serving.
        let document = curl(addr, &[], "/v1/openapi.json", None);
        assert_eq!(document.status, 200);
        let document = document.json();
        assert_eq!(document["openapi"], "3.0.3");
        for route in [
            "/v1/segment",
            "/v1/keywords",
            "/v1/analyze",
            "/v1/analyze:batch",
            "/v1/analyze:stream",
            "/v1/classify",
            "/v1/models",
            "/v1/admin/reload",
            "/v1/admin/words:add",
            "/v1/admin/words:remove",
        ] {
            assert!(document["paths"][route].is_object(), "{route}");
        }
        assert_eq!(
            post(addr, "/v1/segment", Some(r#"{"text":"好"}"#)).status,
            200
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_batches_and_metrics_are_those_of_grpc() {
    let server = TestServer::with_options(Settings {
        limits: Limits {
            default_timeout: Some(std::time::Duration::from_secs(30)),
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let addr = server.addr;
    let text = long_text(20);
    let checks = tokio::task::spawn_blocking(move || {
        // The client's deadline: 504 when the analysis cannot finish in time.
        let body = json!({"text": text, "mode": "ACCURATE", "with_pos": true}).to_string();
        let late = curl(
            addr,
            &["--data-binary", "@-", "-H", "x-timeout-ms: 50"],
            "/v1/segment",
            Some(body.as_bytes()),
        );
        assert_eq!(late.status, 504, "{}", late.body);
        assert_eq!(late.json()["code"], 4);
        // A batch answers each document, a bad one failing only itself.
        let batch = json!({"documents": [
            {"id": "a", "text": "我来到北京清华大学", "segment": {}},
            {"id": "b", "text": "", "segment": {}},
        ]})
        .to_string();
        let answer = post(addr, "/v1/analyze:batch", Some(&batch)).json();
        assert_eq!(answer["results"][0]["id"], "a");
        assert_eq!(answer["results"][1]["error"]["code"], 3);
        // A line that is not a request ends a stream with an error line after the answers.
        let lines = "{\"id\":\"1\",\"text\":\"好\",\"segment\":{}}\nnot json\n";
        let stream = curl(
            addr,
            &["--data-binary", "@-"],
            "/v1/analyze:stream",
            Some(lines.as_bytes()),
        );
        let got: Vec<Value> = stream
            .body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(got.len(), 2, "{}", stream.body);
        assert_eq!(got[0]["id"], "1");
        assert_eq!(got[1]["error"]["code"], 3);
        assert!(
            got[1]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("line 2")
        );
    });
    checks.await.unwrap();
    let page = server
        .metrics
        .encode(textanalysis::metrics::Format::Classic);
    for sample in [
        r#"textanalysis_calls_total{method="Segment",code="DeadlineExceeded",protocol="http"} 1"#,
        r#"textanalysis_calls_total{method="AnalyzeBatch",code="Ok",protocol="http"} 1"#,
        r#"textanalysis_calls_total{method="AnalyzeStream",code="InvalidArgument",protocol="http"} 1"#,
    ] {
        assert!(page.contains(sample), "{sample} missing from\n{page}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_admin_calls_are_checked_as_over_grpc() {
    let dir = crate::common::temp_dir("http-admin");
    let running = crate::binary::Running::start(
        &["--state-dir", dir.path().to_str().unwrap()],
        &[("TEXTANALYSIS_AUTH_TOKENS", "client-token")],
    );
    let addr = running.addr;
    tokio::task::spawn_blocking(move || {
        let body = r#"{"text":"好"}"#;
        let none = post(addr, "/v1/segment", Some(body));
        assert_eq!(none.status, 401);
        assert_eq!(none.json()["code"], 16);
        let ok = curl(
            addr,
            &["-H", "authorization: Bearer client-token", "-d", body],
            "/v1/segment",
            None,
        );
        assert_eq!(ok.status, 200);
        // The OpenAPI document needs no token.
        assert_eq!(curl(addr, &[], "/v1/openapi.json", None).status, 200);
        // Admin is off without an admin token file: 501 (UNIMPLEMENTED).
        let admin = curl(
            addr,
            &["-H", "authorization: Bearer client-token", "-d", "{}"],
            "/v1/admin/reload",
            None,
        );
        assert_eq!(admin.status, 501, "{}", admin.body);
        assert_eq!(admin.json()["code"], 12);
    })
    .await
    .unwrap();
    running.signal("TERM");
    assert_eq!(running.wait().0, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_and_cors_answer_a_browser() {
    let server = TestServer::with_options(Settings {
        cors_allow_origins: vec!["http://app.example".into()],
        ..Default::default()
    })
    .await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        use prost::Message;
        let request = textanalysis::grpc::pb::SegmentRequest {
            text: "我来到北京清华大学".into(),
            ..Default::default()
        }
        .encode_to_vec();
        let mut framed = vec![0u8];
        framed.extend((request.len() as u32).to_be_bytes());
        framed.extend(request);
        // gRPC-Web over HTTP/1.1, as a browser's generated stub sends it.
        let answer = Command::new("curl")
            .args([
                "-sS",
                "--http1.1",
                "--data-binary",
                "@-",
                "-H",
                "content-type: application/grpc-web+proto",
                "-H",
                "x-grpc-web: 1",
            ])
            .arg(format!(
                "http://{addr}/textanalysis.v1.TextAnalysis/Segment"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut answer = answer;
        answer.stdin.take().unwrap().write_all(&framed).unwrap();
        let body = answer.wait_with_output().unwrap().stdout;
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let message =
            textanalysis::grpc::pb::SegmentResponse::decode(&body[5..5 + length]).unwrap();
        let words: Vec<_> = message.tokens.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["我", "来到", "北京", "清华大学"]);
        // The trailers travel in a last frame, flagged 0x80.
        let trailers = &body[5 + length..];
        assert_eq!(trailers[0], 0x80);
        assert!(String::from_utf8_lossy(&trailers[5..]).contains("grpc-status:0"));
        // CORS: the allowed origin is told so; another is not.
        let preflight = |origin: &str| {
            curl(
                addr,
                &[
                    "-X",
                    "OPTIONS",
                    "-H",
                    &format!("origin: {origin}"),
                    "-H",
                    "access-control-request-method: POST",
                    "-H",
                    "access-control-request-headers: content-type",
                ],
                "/v1/segment",
                None,
            )
        };
        let allowed = preflight("http://app.example");
        assert_eq!(
            allowed.header("access-control-allow-origin"),
            Some("http://app.example")
        );
        assert!(
            preflight("http://evil.example")
                .header("access-control-allow-origin")
                .is_none()
        );
        let json = curl(
            addr,
            &["-H", "origin: http://app.example", "-d", r#"{"text":"好"}"#],
            "/v1/segment",
            None,
        );
        assert_eq!(json.status, 200);
        assert_eq!(
            json.header("access-control-allow-origin"),
            Some("http://app.example")
        );
    })
    .await
    .unwrap();
    let page = server
        .metrics
        .encode(textanalysis::metrics::Format::Classic);
    assert!(
        page.contains(
            r#"textanalysis_calls_total{method="Segment",code="Ok",protocol="grpc-web"} 1"#
        ),
        "{page}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_and_fleet_examples_have_curl_twins_too() {
    use textanalysis::core::{AnalyzerConfig, ProfileSpec, Profiles};
    use textanalysis::edge::BearerTokens;
    let state = crate::common::temp_dir("http-profiles");
    let profiles = Profiles::start(
        &AnalyzerConfig::default(),
        Some(state.path()),
        &[ProfileSpec {
            name: "medical".into(),
            dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/profiles/medical"),
        }],
        8,
    )
    .unwrap();
    let server = std::sync::Arc::new(
        TestServer::with_profiles(
            std::sync::Arc::new(profiles),
            Settings {
                admin: BearerTokens::load(None, Some(crate::dictionary::ADMIN_TOKEN)).unwrap(),
                ..Default::default()
            },
        )
        .await,
    );
    let s = std::sync::Arc::clone(&server);
    tokio::task::spawn_blocking(move || {
        let server = &*s;
        // The README's profile example.
        let body = r#"{"text":"患者行支架植入术后服用二甲双胍","profile":"medical"}"#;
        assert!(README.contains(&format!("curl -d '{body}' localhost:50051/v1/segment")));
        let answer = post(server.addr, "/v1/segment", Some(body));
        assert_eq!(
            answer.json(),
            grpcurl_json(server, body, "TextAnalysis/Segment")
        );
        // The fleet's word edit: through curl with the admin token, then served.
        let words = r#"{"words": [{"word": "云原生数据湖"}]}"#;
        assert!(README.contains(&format!("-d '{words}' localhost:50051/v1/admin/words:add")));
        let bearer = format!("authorization: Bearer {}", crate::dictionary::ADMIN_TOKEN);
        let refused = post(server.addr, "/v1/admin/words:add", Some(words));
        assert_eq!(refused.status, 403, "{}", refused.body);
        let added = curl(
            server.addr,
            &["-H", &bearer, "-d", words],
            "/v1/admin/words:add",
            None,
        );
        assert_eq!(added.status, 200, "{}", added.body);
        assert_eq!(added.json()["dictionary"]["addedWords"], 1);
        let body = r#"{"text":"云原生数据湖正在改变数据分析"}"#;
        let segmented = post(server.addr, "/v1/segment", Some(body)).json();
        assert_eq!(crate::common::json_words(&segmented)[0], "云原生数据湖");
        assert_eq!(
            segmented,
            grpcurl_json(server, body, "TextAnalysis/Segment")
        );
    })
    .await
    .unwrap();
    std::sync::Arc::into_inner(server).unwrap().shutdown().await;
}
