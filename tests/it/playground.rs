//! The playground page in a real browser: Debian's Chromium, driven over WebDriver by its
//! chromedriver (`.ci/run` installs both), against a real server with the example profiles.
//! The page's words, keyword bars, marks, labels and diff must be the API's; switching the
//! segmenter or the profile must show what the API says for them; an error must show a
//! message; no script may log an error. Screenshots at desktop and phone width are written to
//! `target/playground/` (the README's is `desktop.png`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use textanalysis::core::{AnalyzerConfig, ProfileSpec, Profiles};
use textanalysis::edge::BearerTokens;
use textanalysis::server::Settings;

use crate::common::{TestServer, json_words as token_words};
use crate::http::curl;

/// The WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver command through curl: the answer's `value`.
fn webdriver(method: &str, url: &str, body: Option<&Value>) -> Value {
    let mut command = Command::new("curl");
    command.args(["-sS", "--max-time", "60", "-X", method, url]);
    if let Some(body) = body {
        command.args([
            "-H",
            "content-type: application/json",
            "-d",
            &body.to_string(),
        ]);
    }
    let output = command.output().expect("curl runs");
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{method} {url}: not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let value = answer["value"].clone();
    assert!(
        value.get("error").is_none(),
        "{method} {url}: {}",
        value["message"]
    );
    value
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (Debian's chromium-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = Command::new("curl")
                .args(["-sS", "--max-time", "2", &format!("{url}/status")])
                .output()
                .unwrap();
            if serde_json::from_slice::<Value>(&status.stdout)
                .is_ok_and(|s| s["value"]["ready"] == true)
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver not ready in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session, ended when dropped.
struct Browser {
    session: String,
    _driver: Driver,
}

impl Browser {
    fn start() -> Self {
        let driver = Driver::start();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000"],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let created = webdriver(
            "POST",
            &format!("{}/session", driver.url),
            Some(&capabilities),
        );
        let session = format!(
            "{}/session/{}",
            driver.url,
            created["sessionId"].as_str().unwrap()
        );
        Self {
            session,
            _driver: driver,
        }
    }

    fn go(&self, url: &str) {
        webdriver(
            "POST",
            &format!("{}/url", self.session),
            Some(&json!({"url": url})),
        );
    }

    /// Runs `script` (a function body) in the page with `args`; what it returns.
    fn run(&self, script: &str, args: Value) -> Value {
        webdriver(
            "POST",
            &format!("{}/execute/sync", self.session),
            Some(&json!({"script": script, "args": args})),
        )
    }

    fn click(&self, css: &str) {
        let element = webdriver(
            "POST",
            &format!("{}/element", self.session),
            Some(&json!({"using": "css selector", "value": css})),
        );
        let id = element[ELEMENT].as_str().unwrap();
        webdriver(
            "POST",
            &format!("{}/element/{id}/click", self.session),
            Some(&json!({})),
        );
    }

    /// Waits (at most 60 s) for the page's status to say `state`.
    fn wait_for(&self, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = self.run(
                "return document.getElementById('status').dataset.state;",
                json!([]),
            );
            if now == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page did not reach `{state}` in 60 s (it is `{now}`)"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sets a control's value as a person would (and tells the page it changed).
    fn set(&self, id: &str, value: &str) {
        self.run(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('change', {bubbles: true})); return e.value;",
            json!([id, value]),
        );
    }

    fn analyze(&self, expect: &str) {
        self.click("#analyze");
        self.wait_for(expect);
    }

    fn words(&self, container: &str) -> Vec<String> {
        let words = self.run(
            "return [...document.querySelectorAll(arguments[0] + ' .chip')].map(c => c.dataset.word);",
            json!([container]),
        );
        strings(&words)
    }

    /// How many elements `css` selects.
    fn count(&self, css: &str) -> usize {
        let n = self.run(
            "return document.querySelectorAll(arguments[0]).length;",
            json!([css]),
        );
        usize::try_from(n.as_u64().unwrap()).unwrap()
    }

    fn screenshot(&self, path: &Path) {
        let data = webdriver("GET", &format!("{}/screenshot", self.session), None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    fn resize(&self, width: u32, height: u32) {
        webdriver(
            "POST",
            &format!("{}/window/rect", self.session),
            Some(&json!({"width": width, "height": height})),
        );
    }

    /// The browser's console entries since the last call.
    fn console(&self) -> Vec<Value> {
        let entries = webdriver(
            "POST",
            &format!("{}/se/log", self.session),
            Some(&json!({"type": "browser"})),
        );
        entries.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-X", "DELETE", &self.session])
            .output();
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The API's answer to `body` at `route`.
fn api(server: std::net::SocketAddr, route: &str, body: &Value) -> Value {
    let answer = curl(
        server,
        &["--data-binary", "@-"],
        route,
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(answer.status, 200, "{route}: {}", answer.body);
    answer.json()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver (Debian's chromium and chromium-driver); .ci/run installs them and runs it"]
async fn the_playground_shows_what_the_api_answers() {
    let profiles = Profiles::start(
        &AnalyzerConfig::default(),
        None,
        &[ProfileSpec {
            name: "medical".into(),
            dir: root().join("examples/profiles/medical"),
        }],
        8,
    )
    .unwrap();
    let server = TestServer::with_profiles(Arc::new(profiles), Settings::default()).await;
    let guarded = TestServer::with_options(Settings {
        auth: BearerTokens::load(None, Some("page-token")).unwrap(),
        ..Default::default()
    })
    .await;
    let (addr, guarded_addr) = (server.addr, guarded.addr);
    tokio::task::spawn_blocking(move || {
        check_the_page(addr);
        check_a_server_with_tokens(guarded_addr);
    })
    .await
    .unwrap();
    server.shutdown().await;
    guarded.shutdown().await;
}

/// On a server with tokens the page loads (it needs none), says that its calls need one, and
/// analyses once one is given.
fn check_a_server_with_tokens(addr: std::net::SocketAddr) {
    let browser = Browser::start();
    browser.go(&format!("http://{addr}/"));
    browser.wait_for("ready");
    let shown = browser.run(
        "const e = document.getElementById('error'); return e.hidden ? '' : e.textContent;",
        json!([]),
    );
    assert!(shown.as_str().unwrap().contains("401"), "{shown}");
    browser.set("token", "page-token");
    browser.analyze("done");
    assert!(browser.count("#chips .chip") > 100);
    assert!(browser.count("#labels .bar") >= 2);
}

fn check_the_page(addr: std::net::SocketAddr) {
    let browser = Browser::start();
    browser.go(&format!("http://{addr}/"));
    // The example (a seed document) is analysed as the page opens.
    browser.wait_for("done");
    let text = browser.run("return document.getElementById('text').value;", json!([]));
    let text = text.as_str().unwrap().to_owned();
    assert!(text.starts_with("习近平总书记指出"), "{text:.40}");

    // The words: the API's, in order, with tags.
    let precise = api(addr, "/v1/segment", &json!({"text": text, "withPos": true}));
    assert_eq!(browser.words("#chips"), token_words(&precise));
    let legend = browser.count("#legend span");
    assert!(legend >= 5, "{legend}");

    // The keyword bars: the API's keywords and weights, best first.
    let keywords = api(
        addr,
        "/v1/keywords",
        &json!({"text": text, "topK": 10, "mode": "PRECISE"}),
    );
    let bars = browser.run(
        "return [...document.querySelectorAll('#keywords .bar')].map(b => [b.dataset.word, Number(b.dataset.weight)]);",
        json!([]),
    );
    let expected: Vec<Value> = keywords["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| json!([k["word"], k["weight"]]))
        .collect();
    assert_eq!(bars, Value::Array(expected));

    // Clicking a keyword marks its occurrences among the words.
    let first = keywords["keywords"][0]["word"].as_str().unwrap();
    browser.click("#keywords .bar");
    let marked = browser.count("#chips .chip.marked");
    let occurrences = token_words(&precise).iter().filter(|w| *w == first).count();
    assert!(occurrences > 0);
    assert_eq!(marked, occurrences, "{first}");

    // Each model's labels, with the API's probabilities.
    let classified = api(addr, "/v1/classify", &json!({"text": text}));
    let labels = browser.run(
        "return [...document.querySelectorAll('#labels .bar')].map(b => b.dataset.label);",
        json!([]),
    );
    let expected: Vec<Value> = classified["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].clone())
        .collect();
    assert_eq!(labels, Value::Array(expected));

    // The diff: jieba's words (A) against the accurate segmenter's (B), the differing ones
    // marked on each side.
    let accurate = api(
        addr,
        "/v1/segment",
        &json!({"text": text, "mode": "ACCURATE", "withPos": true}),
    );
    let spans = |answer: &Value| -> std::collections::HashSet<(u64, u64)> {
        answer["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["start"].as_u64().unwrap_or(0),
                    t["end"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let (a, b) = (spans(&precise), spans(&accurate));
    let differs = browser.count("#diff-a .differs");
    assert_eq!(differs, a.difference(&b).count());
    assert_eq!(browser.count("#diff-b .differs"), b.difference(&a).count());
    assert!(differs > 0);

    // Switching the segmenter shows the accurate segmenter's words.
    browser.set("mode", "ACCURATE");
    browser.analyze("done");
    assert_eq!(browser.words("#chips"), token_words(&accurate));

    // Switching the profile shows that profile's words.
    let sentence = "患者行支架植入术后服用二甲双胍";
    browser.set("text", sentence);
    browser.set("mode", "PRECISE");
    browser.set("profile", "medical");
    browser.analyze("done");
    let medical = api(
        addr,
        "/v1/segment",
        &json!({"text": sentence, "withPos": true, "profile": "medical"}),
    );
    let default = api(
        addr,
        "/v1/segment",
        &json!({"text": sentence, "withPos": true}),
    );
    assert_ne!(token_words(&medical), token_words(&default));
    assert_eq!(browser.words("#chips"), token_words(&medical));

    // An error is shown as the server's message, not a blank page.
    let console = browser.console();
    assert!(
        console.iter().all(|e| e["level"] != "SEVERE"),
        "console errors: {console:?}"
    );
    browser.set("text", "");
    browser.analyze("error");
    let shown = browser.run(
        "const e = document.getElementById('error'); return e.hidden ? '' : e.textContent;",
        json!([]),
    );
    assert!(
        shown.as_str().unwrap().contains("must not be empty"),
        "{shown}"
    );
    // The only console entry since: the browser's own note of the 400 answer.
    for entry in browser.console() {
        let message = entry["message"].as_str().unwrap_or_default();
        assert!(
            entry["level"] != "SEVERE" || message.contains("status of 400"),
            "console error: {entry}"
        );
    }

    // Screenshots of the whole page with a short paragraph: desktop width (a keyword marked),
    // then phone width, where nothing may run off the side.
    let dir = root().join("target/playground");
    let paragraph: String = text.chars().take(120).collect();
    browser.set("text", &paragraph);
    browser.set("profile", "");
    browser.analyze("done");
    browser.click("#keywords .bar");
    browser.resize(1280, 2000);
    browser.run("window.scrollTo(0, 0); return 0;", json!([]));
    browser.screenshot(&dir.join("desktop.png"));
    browser.resize(390, 844);
    browser.run("window.scrollTo(0, 0); return 0;", json!([]));
    let overflow = browser.run(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        json!([]),
    );
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "{overflow} px wider than the screen"
    );
    browser.screenshot(&dir.join("phone.png"));
    let console = browser.console();
    assert!(
        console.iter().all(|e| e["level"] != "SEVERE"),
        "console errors: {console:?}"
    );
}
