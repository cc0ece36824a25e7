//! The `textanalysis` binary as an operator runs it: configuration errors, the `health`
//! subcommand, SIGTERM drain, and log lines that never contain request text.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use textanalysis::grpc::pb::SegmentRequest;
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;

const BIN: &str = env!("CARGO_BIN_EXE_textanalysis");

fn textanalysis(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    // The environment of the test run must not configure the server under test.
    for (key, _) in std::env::vars() {
        if key.starts_with("TEXTANALYSIS_") {
            command.env_remove(key);
        }
    }
    command
}

/// A server process started with JSON logs on 127.0.0.1:0; its log lines arrive on `logs`.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    logs: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub(crate) fn start(extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut args = vec!["--log-format", "json"];
        args.extend_from_slice(extra);
        let mut command = textanalysis(&args);
        if !env.iter().any(|(k, _)| *k == "TEXTANALYSIS_ADDR") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        command.envs(env.iter().copied());
        let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
        let (tx, logs) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut running = Self {
            child,
            addr: "0.0.0.0:0".parse().unwrap(),
            logs,
            seen: Vec::new(),
        };
        let line = running.wait_for_log("\"serving\"");
        let log: serde_json::Value = serde_json::from_str(&line).unwrap();
        running.addr = log["addr"].as_str().unwrap().parse().unwrap();
        running
    }

    /// The first log line containing `needle`, among those seen or, waiting up to 60 s, the
    /// next ones.
    fn wait_for_log(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .logs
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {needle}; saw {:#?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit and returns its code and the rest of its log.
    pub(crate) fn wait(mut self) -> (i32, Vec<String>) {
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.logs.iter().collect();
        self.seen.extend(rest);
        (status.code().unwrap_or(-1), std::mem::take(&mut self.seen))
    }
}

impl Drop for Running {
    /// A failed test must not leave its server behind (holding the test's output open).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The exit code of `textanalysis health` (its complaints, expected where it fails, kept out of
/// the test run's output).
fn health(addr: impl ToString, service: &str) -> i32 {
    textanalysis(&["health", "--addr", &addr.to_string(), "--service", service])
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

#[test]
fn bad_configuration_exits_with_code_2_and_one_line() {
    let tmp = crate::common::temp_dir("cli");
    let dir = tmp.path();
    std::fs::create_dir_all(dir).unwrap();
    let bad_dict = dir.join("bad.dict");
    std::fs::write(&bad_dict, "好词 5\n坏词 5 n extra\n").unwrap();
    let bad_dict = bad_dict.to_str().unwrap().to_owned();
    let missing = dir.join("missing.dict").to_str().unwrap().to_owned();
    let profile_missing = format!("typo={}", dir.join("no-such-dir").display());
    let profiles = example_profiles();
    // (flags, environment, what the error line must name)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        (vec!["--addr", "not-an-address"], vec![], "--addr".into()),
        (
            vec!["--max-text-chars", "0"],
            vec![],
            "--max-text-chars".into(),
        ),
        (vec!["--log-format", "xml"], vec![], "--log-format".into()),
        // A bad value from a variable is reported under the variable's name.
        (
            vec![],
            vec![("TEXTANALYSIS_WORKERS", "many")],
            "TEXTANALYSIS_WORKERS".into(),
        ),
        (vec!["--workers", "many"], vec![], "--workers".into()),
        (
            vec!["--auth-token-file", &missing],
            vec![],
            "missing.dict".into(),
        ),
        (vec!["--user-dict", &missing], vec![], "missing.dict".into()),
        (vec!["--user-dict", &bad_dict], vec![], "bad.dict:2".into()),
        (vec!["--profile", "medical"], vec![], "--profile".into()),
        (vec!["--profile", "a.b=/tmp"], vec![], "--profile".into()),
        (vec!["--profile", &profile_missing], vec![], "typo".into()),
        (
            vec!["--max-profiles", "1"],
            vec![("TEXTANALYSIS_PROFILES", &profiles)],
            "--max-profiles".into(),
        ),
    ];
    for (args, env, expected) in cases {
        let mut all = vec!["--addr", "127.0.0.1:0"];
        all.retain(|_| !args.contains(&"--addr"));
        all.extend(args.iter().copied());
        let output = textanalysis(&all)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let naming = stderr.lines().filter(|l| l.contains(&expected)).count();
        assert_eq!(
            naming, 1,
            "{args:?} {env:?}: one line naming {expected}:\n{stderr}"
        );
        // Nothing was served: configuration is checked before binding.
        assert!(!stderr.contains("serving"), "{stderr}");
    }
}

/// `TEXTANALYSIS_PROFILES` naming the example profiles `medical` and `legal`.
fn example_profiles() -> String {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/profiles");
    ["medical", "legal"]
        .map(|name| format!("{name}={}", examples.join(name).display()))
        .join(",")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_from_the_environment_are_served_by_name() {
    let profiles = example_profiles();
    let mut running = Running::start(&[], &[("TEXTANALYSIS_PROFILES", &profiles)]);
    let line = running.wait_for_log("dictionary profiles");
    assert!(line.contains("default, legal, medical"), "{line}");
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let words = crate::common::segment_words_in(channel, "medical", "服用二甲双胍").await;
    assert_eq!(words, ["服用", "二甲双胍"]);
    running.signal("TERM");
    assert_eq!(running.wait().0, 0);
}

#[test]
fn serves_from_the_environment_and_reports_health() {
    let running = Running::start(&[], &[("TEXTANALYSIS_ADDR", "127.0.0.1:0")]);
    assert!(running.addr.ip().is_loopback());
    assert_eq!(health(running.addr, ""), 0);
    assert_eq!(health(running.addr, "textanalysis.v1.TextAnalysis"), 0);
    assert_eq!(health(running.addr, "no.such.Service"), 1);
    // Probes in compose and Kubernetes name the host.
    assert_eq!(health(format!("localhost:{}", running.addr.port()), ""), 0);
    running.signal("INT");
    let (code, _) = running.wait();
    assert_eq!(code, 0);
}

#[test]
fn health_fails_when_nothing_listens() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    assert_eq!(health(addr, ""), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_calls_in_flight_and_exits_zero() {
    let mut running = Running::start(&["--workers", "1"], &[]);
    let secret = "机密文本不得写入日志";
    let text = format!("{secret}{}", "长文档内容，".repeat(60_000));
    let mut client = TextAnalysisClient::connect(format!("http://{}", running.addr))
        .await
        .unwrap()
        .max_decoding_message_size(usize::MAX);
    let mut calls = Vec::new();
    for _ in 0..2 {
        let mut client = client.clone();
        let request = SegmentRequest {
            text: text.clone(),
            ..Default::default()
        };
        let mut call = Box::pin(async move { client.segment(request).await });
        // One poll queues the request on the connection; requests leave in that order.
        std::future::poll_fn(|cx| {
            assert!(call.as_mut().poll(cx).is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        calls.push(call);
    }
    // A short call sent after them is answered once they have reached the server.
    client
        .segment(SegmentRequest {
            text: secret.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    running.wait_for_log(&format!("\"text_chars\":{}", secret.chars().count()));
    running.signal("TERM");
    for call in calls {
        let tokens = call
            .await
            .expect("call in flight completes")
            .into_inner()
            .tokens;
        assert_eq!(tokens[0].word, "机密");
    }
    let (code, logs) = running.wait();
    assert_eq!(code, 0, "{logs:#?}");
    let all = logs.join("\n");
    assert!(
        all.contains("SIGTERM received") && all.contains("draining") && all.contains("stopped")
    );
    assert!(all.contains("\"method\":\"Segment\""));
    assert!(
        !all.contains(secret) && !all.contains("机密"),
        "request text leaked into logs"
    );
}

#[test]
fn train_and_eval_from_the_command_line() {
    let tmp = crate::common::temp_dir("train-cli");
    let dir = tmp.path();
    let input = dir.join("topics.txt");
    // fastText format, three labels, one of them with a single example.
    std::fs::write(
        &input,
        "__label__sport 比赛 进球 球队 冠军\n__label__sport 篮球 比赛 得分\n\
         __label__tech 芯片 算法 软件\n__label__tech 手机 系统 更新\n__label__food 米饭 好吃\n",
    )
    .unwrap();
    let model = dir.join("topics.model");
    let again = dir.join("again.model");
    for out in [&model, &again] {
        let output = textanalysis(&[
            "train",
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--epochs",
            "3",
        ])
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains("epoch 3/3") && stderr.contains("3 labels: food, sport, tech"),
            "{stderr}"
        );
    }
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&again).unwrap(),
        "training is deterministic"
    );

    let output = textanalysis(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for needle in [
        "examples: 5",
        "accuracy: ",
        "precision  recall      f1  support",
        "confusion matrix",
        "sport",
    ] {
        assert!(report.contains(needle), "{needle}: {report}");
    }

    // The dev reviews in Traditional, read as they are and in Simplified form (README.md,
    // "Traditional Chinese"), through the built-in model.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let builtin = root.join("models/sentiment.model");
    let traditional = root.join("data/sentiment/dev-traditional.tsv");
    let accuracy = |script: &str| {
        let output = textanalysis(&[
            "eval",
            "--model",
            builtin.to_str().unwrap(),
            "--input",
            traditional.to_str().unwrap(),
            "--script",
            script,
        ])
        .output()
        .unwrap();
        assert!(output.status.success());
        let report = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(report.contains(&format!("script: {script}")), "{report}");
        report
            .lines()
            .find_map(|l| l.strip_prefix("accuracy: "))
            .and_then(|a| a.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no accuracy in {report}"))
    };
    let (as_sent, converted) = (accuracy("simplified"), accuracy("traditional"));
    assert!(converted > as_sent + 0.03, "{converted} {as_sent}");
    assert!((converted - 0.86).abs() < 0.01, "{converted}");

    let bad = dir.join("bad.tsv");
    std::fs::write(&bad, "pos\t很好\nneg\t很差\n没有制表符的一行\npos\t不错\n").unwrap();
    let output = textanalysis(&[
        "train",
        "--input",
        bad.to_str().unwrap(),
        "--output",
        dir.join("x.model").to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.tsv:3:"), "{stderr}");
    let output = textanalysis(&[
        "train",
        "--input",
        bad.to_str().unwrap(),
        "--output",
        dir.join("x.model").to_str().unwrap(),
        "--skip-bad-lines",
        "--epochs",
        "1",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("read 3 examples") && stderr.contains("1 malformed lines skipped"),
        "{stderr}"
    );

    // A damaged model in the models directory stops the server before it binds.
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(models.join("broken.model"), &bytes[..bytes.len() - 7]).unwrap();
    let output = textanalysis(&[
        "--addr",
        "127.0.0.1:0",
        "--models",
        models.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.model"), "{stderr}");
}

/// Runs `textanalysis-load` against `addr` for half a second and returns its JSON summary.
fn load(addr: SocketAddr, extra: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_textanalysis-load"))
        .args(["--addr", &format!("http://{addr}"), "--json"])
        .args(["--warmup", "0", "--duration", "0.5", "--concurrency", "4"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_load_client_counts_only_grpc_ok_as_success() {
    let server = Running::start(&["--max-text-chars", "50"], &[]);
    let good = load(server.addr, &["--rpc", "analyze"]);
    assert!(good["ok"].as_u64().unwrap() > 10, "{good}");
    assert_eq!(good["failed"], 0, "{good}");
    assert!(good["p99_us"].as_u64().unwrap() > 0, "{good}");

    // Every call answers HTTP 200 with INVALID_ARGUMENT in its trailers: all count as failed.
    let tmp = crate::common::temp_dir("load-client");
    let dir = tmp.path();
    let long = dir.join("long.txt");
    std::fs::write(&long, "长".repeat(60)).unwrap();
    let bad = load(server.addr, &["--texts", long.to_str().unwrap()]);
    assert_eq!(bad["ok"], 0, "{bad}");
    assert_eq!(bad["failed"], bad["calls"], "{bad}");
    assert!(
        bad["codes"]["InvalidArgument"].as_u64().unwrap() > 10,
        "{bad}"
    );
    server.signal("TERM");
    assert_eq!(server.wait().0, 0);
}

#[test]
fn tokens_from_a_file_and_the_environment_guard_calls_and_metrics_are_served() {
    let tmp = crate::common::temp_dir("auth");
    let dir = tmp.path();
    let file = dir.join("tokens");
    std::fs::write(&file, "# operators\nfile-token-0123456789\n\n").unwrap();
    let mut running = Running::start(
        &[
            "--auth-token-file",
            file.to_str().unwrap(),
            "--metrics-addr",
            "127.0.0.1:0",
        ],
        &[("TEXTANALYSIS_AUTH_TOKENS", "env-token-0123456789")],
    );
    let line = running.wait_for_log("metrics at /metrics");
    let log: serde_json::Value = serde_json::from_str(&line).unwrap();
    let metrics_addr: SocketAddr = log["addr"].as_str().unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let code = |token: Option<&str>| {
        runtime.block_on(async {
            let mut client = TextAnalysisClient::connect(format!("http://{}", running.addr))
                .await
                .unwrap();
            let mut request = tonic::Request::new(SegmentRequest {
                text: "我来到北京".into(),
                ..Default::default()
            });
            if let Some(token) = token {
                let value = format!("Bearer {token}").parse().unwrap();
                request.metadata_mut().insert("authorization", value);
            }
            client
                .segment(request)
                .await
                .map_or_else(|s| s.code(), |_| tonic::Code::Ok)
        })
    };
    assert_eq!(code(None), tonic::Code::Unauthenticated);
    assert_eq!(code(Some("file-token-0123456789")), tonic::Code::Ok);
    assert_eq!(code(Some("env-token-0123456789")), tonic::Code::Ok);
    assert_eq!(health(running.addr, ""), 0, "health needs no token");
    let page = runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(metrics_addr).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut page = String::new();
        stream.read_to_string(&mut page).await.unwrap();
        page
    });
    assert!(
        page.contains(r#"textanalysis_calls_total{method="Segment",code="Ok",protocol="grpc"} 2"#),
        "{page}"
    );
    running.signal("TERM");
    let (exit, logs) = running.wait();
    assert_eq!(exit, 0);
    let all = logs.join("\n");
    assert!(
        !all.contains("file-token") && !all.contains("env-token"),
        "a token leaked into logs"
    );

    // A token file without tokens is a configuration error.
    std::fs::write(&file, "# nothing here\n").unwrap();
    let output = textanalysis(&[
        "--auth-token-file",
        file.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds no token"));
}

#[test]
fn tls_from_files_and_the_health_check_over_tls() {
    let tmp = crate::common::temp_dir("tls");
    let dir = tmp.path();
    let pki = crate::common::pki();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (ca, cert, key) = (
        write("ca.pem", pki.ca),
        write("cert.pem", pki.server.0),
        write("key.pem", pki.server.1),
    );
    let running = Running::start(&["--tls-cert", &cert, "--tls-key", &key], &[]);
    let addr = running.addr.to_string();
    let over_tls = textanalysis(&["health", "--addr", &addr, "--tls-ca", &ca])
        .status()
        .unwrap();
    assert!(over_tls.success());
    let plaintext = textanalysis(&["health", "--addr", &addr]).output().unwrap();
    assert!(
        !plaintext.status.success(),
        "the TLS server refuses plaintext"
    );
    running.signal("TERM");
    assert_eq!(running.wait().0, 0);

    // A key that is not a key stops start-up with the configuration exit code.
    let bad = write("bad.pem", "not a key".into());
    let output = textanalysis(&[
        "--tls-cert",
        &cert,
        "--tls-key",
        &bad,
        "--addr",
        "127.0.0.1:0",
    ])
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TLS"), "{stderr}");
    // The key is checked before any port is bound.
    assert!(!stderr.contains("serving"), "{stderr}");
}

/// An Admin call with the admin token.
fn as_admin<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn segment_words(addr: SocketAddr, text: &str) -> Vec<String> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    crate::common::segment_words(channel, text).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_word_added_survives_sigkill_and_sighup_reloads_the_files() {
    use textanalysis::grpc::pb::admin_client::AdminClient;
    use textanalysis::grpc::pb::{AddWordsRequest, WordEntry};

    let tmp = crate::common::temp_dir("durable");
    let dir = tmp.path();
    let _ = std::fs::remove_file(dir.join("word-edits.state"));
    let token_file = dir.join("admin.tokens");
    std::fs::write(&token_file, "# operators\nadmin-token-1\n").unwrap();
    let user_dict = dir.join("user.dict");
    std::fs::write(&user_dict, "云原生 5 nz\n").unwrap();
    let state = dir.join("state");
    let args = [
        "--admin-token-file",
        token_file.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
        "--user-dict",
        user_dict.to_str().unwrap(),
        // Only SIGHUP reloads here, so that each reload is the signal's (following the files
        // by themselves is tested in `fleet`).
        "--watch-interval-ms",
        "0",
    ];
    let text = "服务网格和数据编织";

    let mut running = Running::start(&args, &[]);
    let before = segment_words(running.addr, text).await;
    assert!(!before.contains(&"数据编织".to_owned()), "{before:?}");
    let mut admin = AdminClient::connect(format!("http://{}", running.addr))
        .await
        .unwrap();
    let request = AddWordsRequest {
        profile: String::new(),
        words: vec![WordEntry {
            word: "数据编织".into(),
            freq: Some(50),
            tag: "nz".into(),
        }],
    };
    admin
        .add_words(as_admin(request, "admin-token-1"))
        .await
        .unwrap();
    // SIGKILL the moment the call returns: no chance to flush anything.
    running.child.kill().unwrap();
    let (code, _) = running.wait();
    assert_ne!(code, 0);

    let mut running = Running::start(&args, &[]);
    let after = segment_words(running.addr, text).await;
    assert!(after.contains(&"数据编织".to_owned()), "{after:?}");

    // SIGHUP: the edited user dictionary is read again, the runtime edit stays.
    std::fs::write(&user_dict, "云原生 5 nz\n服务网格 5 nz\n").unwrap();
    running.signal("HUP");
    running.wait_for_log("\"generation\":2");
    let reloaded = segment_words(running.addr, text).await;
    assert_eq!(reloaded, ["服务网格", "和", "数据编织"]);
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", running.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let info = crate::common::dictionary_info(channel).await;
    assert_eq!((info.generation, info.added_words), (2, 1));
    assert_eq!(info.files[0].entries, 2);

    // A SIGHUP with a broken file: logged, and the old analyzer keeps serving.
    std::fs::write(&user_dict, "坏 行 有 四\n").unwrap();
    running.signal("HUP");
    let refused = running.wait_for_log("dictionary change refused");
    assert!(refused.contains("user.dict:1"), "{refused}");
    assert_eq!(segment_words(running.addr, text).await, reloaded);
    running.signal("TERM");
    assert_eq!(running.wait().0, 0);

    // A damaged state file stops start-up with a clear error rather than losing the edits.
    let file = state.join("word-edits.state");
    let saved = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, saved.replace("数据编织", "数据编制")).unwrap();
    let output = textanalysis(&[&["--addr", "127.0.0.1:0"][..], &args].concat())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
}
