//! Prometheus metrics over HTTP: calls by method and code, latency, text, shedding, in-flight
//! calls, the memory budget and resident memory, and what the server has loaded.

use crate::common::{TestServer, http_get as scrape};
use textanalysis::grpc::pb::{ClassifyRequest, ListModelsRequest, SegmentRequest};
use textanalysis::metrics;

#[tokio::test]
async fn metrics_count_calls_by_method_and_code() {
    let server = TestServer::start().await;
    let addr = serve_metrics(&server).await;
    segment_twice(&server).await;
    let mut client = server.client();
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
        r#"textanalysis_calls_total{method="Segment",code="Ok",protocol="grpc"} 2"#,
        r#"textanalysis_calls_total{method="Segment",code="InvalidArgument",protocol="grpc"} 1"#,
        r#"textanalysis_calls_total{method="Classify",code="NotFound",protocol="grpc"} 1"#,
        r#"textanalysis_calls_total{method="ListModels",code="Ok",protocol="grpc"} 1"#,
        // A refused call's text is counted too.
        r#"textanalysis_text_chars_total{method="Classify",protocol="grpc"} 2"#,
        r#"textanalysis_call_duration_seconds_count{method="Segment",protocol="grpc"} 3"#,
        r#"textanalysis_text_chars_total{method="Segment",protocol="grpc"} 18"#,
        "textanalysis_shed_total 0",
        "textanalysis_in_flight_calls 0",
        // The default budget, 96 MiB.
        "textanalysis_memory_budget_bytes 100663296",
        "textanalysis_memory_budget_used_bytes 0",
        r#"textanalysis_build_info{version=""#,
        r#"textanalysis_model{name="sentiment",labels="neg,pos""#,
        r#"textanalysis_dictionary_generation{profile="default"} 1"#,
        r#"textanalysis_dictionary_word_edits{profile="default",edit="added"} 0"#,
    ] {
        assert!(page.contains(expected), "missing {expected} in:\n{page}");
    }
    let resident: u64 = page
        .lines()
        .find_map(|l| l.strip_prefix("textanalysis_resident_memory_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no resident memory in:\n{page}"));
    assert!(resident > 1 << 20, "{resident}");
    // Request text never appears.
    assert!(!page.contains("北京"));
    assert!(scrape(addr, "/other").await.starts_with("HTTP/1.1 404"));
    server.shutdown().await;
}

/// A program from the machine (`prometheus`, `promtool`): `None` when it is not installed and
/// nothing requires it; a failed test when `TEXTANALYSIS_PROMETHEUS_TESTS=1` (as `.ci/run`
/// sets, after installing Debian's `prometheus`) and it is missing.
fn installed(program: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("TEXTANALYSIS_PROMETHEUS_TESTS").is_none_or(|v| v != "1"),
            "TEXTANALYSIS_PROMETHEUS_TESTS=1 but `{program}` is not installed \
             (apt-get install prometheus)"
        );
        eprintln!("skipped: `{program}` is not installed (apt-get install prometheus)");
    }
    found
}

/// Two calls that `Segment` answers OK.
async fn segment_twice(server: &TestServer) {
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
}

/// Serves `server`'s metrics on a new port of 127.0.0.1.
async fn serve_metrics(server: &TestServer) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(metrics::serve(listener, server.metrics.clone()));
    addr
}

#[tokio::test]
async fn the_page_is_openmetrics_when_asked_for_and_classic_text_otherwise() {
    let server = TestServer::start().await;
    let addr = serve_metrics(&server).await;
    server
        .client()
        .list_models(ListModelsRequest {})
        .await
        .unwrap();
    let classic = scrape(addr, "/metrics").await;
    assert!(
        classic.contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{classic}"
    );
    assert!(classic.contains("# TYPE textanalysis_build_info gauge\n"));
    assert!(
        classic.contains("# TYPE textanalysis_calls_total counter\n"),
        "{classic}"
    );
    assert!(!classic.contains("# EOF") && !classic.contains(" info\n"));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
                   Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
        .await
        .unwrap();
    let mut openmetrics = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut openmetrics)
        .await
        .unwrap();
    assert!(
        openmetrics.contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{openmetrics}"
    );
    assert!(openmetrics.contains("# TYPE textanalysis_build info\n"));
    assert!(openmetrics.trim_end().ends_with("# EOF"));

    // Prometheus's own parser and linter accept the classic page.
    if let Some(promtool) = installed("promtool") {
        let body = classic.split_once("\r\n\r\n").unwrap().1;
        let check = std::process::Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .output_with_stdin(body);
        assert!(check.status.success(), "promtool: {}", check.report());
    }
    server.shutdown().await;
}

/// Feeds `stdin` to a command and collects its output.
trait OutputWithStdin {
    fn output_with_stdin(&mut self, stdin: &str) -> std::process::Output;
}

impl OutputWithStdin for std::process::Command {
    fn output_with_stdin(&mut self, stdin: &str) -> std::process::Output {
        use std::io::Write as _;
        let mut child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

/// What a finished command printed.
trait Report {
    fn report(&self) -> String;
}

impl Report for std::process::Output {
    fn report(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

/// A Prometheus server run for one test, killed when dropped.
struct Prometheus {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts `binary` scraping `target` every second.
    fn start(binary: &std::path::Path, target: std::net::SocketAddr) -> Self {
        let dir = crate::common::temp_dir("prometheus");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: textanalysis\n    static_configs:\n\
                 \x20     - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        // A free port: bound by the test, released for Prometheus.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = std::process::Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Self {
            child,
            addr,
            _dir: dir,
        }
    }

    /// The result of an instant query, once Prometheus answers it with at least one series
    /// whose value is `value`; the wait has the tests' deadline.
    async fn query_until(&self, query: &str, value: &str) -> serde_json::Value {
        let path = format!("/api/v1/query?query={}", percent_encode(query));
        crate::common::within_limit(&format!("Prometheus: {query} == {value}"), async {
            loop {
                let answer = match tokio::net::TcpStream::connect(self.addr).await {
                    Ok(_) => scrape(self.addr, &path).await,
                    Err(_) => String::new(),
                };
                if let Some((_, body)) = answer.split_once("\r\n\r\n")
                    && let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
                    && let Some(series) = json["data"]["result"].as_array()
                    && series.iter().any(|s| s["value"][1] == value)
                {
                    return json;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
        .await
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_server() {
    let Some(binary) = installed("prometheus") else {
        return;
    };
    let server = TestServer::start().await;
    let target = serve_metrics(&server).await;
    let prometheus = Prometheus::start(&binary, target);
    segment_twice(&server).await;
    prometheus
        .query_until("up{job=\"textanalysis\"}", "1")
        .await;
    prometheus
        .query_until(
            "textanalysis_calls_total{method=\"Segment\",code=\"Ok\",protocol=\"grpc\"}",
            "2",
        )
        .await;
    let serving = prometheus
        .query_until("textanalysis_serving_info", "1")
        .await;
    let labels = &serving["data"]["result"][0]["metric"];
    assert_eq!(labels["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(labels["content_version"].as_str().map(str::len), Some(16));
    drop(prometheus);
    server.shutdown().await;
}
