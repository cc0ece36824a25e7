//! What the tests share: the real server on 127.0.0.1:0 in-process with the generated client,
//! temporary directories, test texts, and certificates made at test time.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use textanalysis::core::{Analyzer, AnalyzerConfig, LiveAnalyzer, Profiles};
use textanalysis::edge::Activity;
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::metrics::Metrics;
use textanalysis::server::{self, Server, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// How long any wait in a test may take before the test fails instead of hanging.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// Waits for `future`, failing the test if it takes longer than [`WAIT_LIMIT`].
pub async fn within_limit<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT_LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {WAIT_LIMIT:?}"))
}

/// A temporary directory for one test, removed when dropped.
pub fn temp_dir(test: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("textanalysis-{test}-"))
        .tempdir()
        .unwrap()
}

/// A seed document repeated `times`: long enough to be cut into several pieces.
pub fn long_text(times: usize) -> String {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let one = std::fs::read_to_string(seeds.join("000_0d2741181010ae04.txt")).unwrap();
    one.repeat(times)
}

/// `GET path` over HTTP/1.1 from `addr`: the whole response, headers included.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// The analyzer with built-in data, built once per test binary.
pub fn analyzer() -> Arc<Analyzer> {
    static ANALYZER: OnceLock<Arc<Analyzer>> = OnceLock::new();
    Arc::clone(ANALYZER.get_or_init(|| {
        Arc::new(Analyzer::new(&AnalyzerConfig::default()).expect("built-in data loads"))
    }))
}

/// A running server and a channel to it.
pub struct TestServer {
    pub channel: Channel,
    pub activity: Activity,
    pub metrics: Arc<Metrics>,
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), server::ServeError>>,
}

impl TestServer {
    /// Starts a server with default settings.
    pub async fn start() -> Self {
        Self::with_options(Settings::default()).await
    }

    /// Starts a server with `settings`; it is listening when this returns (no sleeps).
    pub async fn with_options(settings: Settings) -> Self {
        Self::with_analyzer(analyzer(), settings).await
    }

    /// Starts a server over `analyzer` (reloads read the default configuration again).
    pub async fn with_analyzer(analyzer: Arc<Analyzer>, settings: Settings) -> Self {
        let live = LiveAnalyzer::with_analyzer(analyzer, AnalyzerConfig::default());
        Self::with_live(Arc::new(live), settings).await
    }

    /// Starts a server over `live`.
    pub async fn with_live(live: Arc<LiveAnalyzer>, settings: Settings) -> Self {
        Self::with_profiles(Arc::new(Profiles::only(live)), settings).await
    }

    /// Starts a server over `profiles`.
    pub async fn with_profiles(profiles: Arc<Profiles>, settings: Settings) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let tls = settings.tls.is_some();
        let server = Server::new(profiles, settings).unwrap();
        let (activity, metrics) = (server.activity(), server.metrics());
        let task = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        let endpoint = Channel::from_shared(format!("http://{addr}")).unwrap();
        // A TLS server's tests make their own channels; this plaintext one is never used.
        let channel = if tls {
            endpoint.connect_lazy()
        } else {
            endpoint.connect().await.unwrap()
        };
        Self {
            channel,
            activity,
            metrics,
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn client(&self) -> TextAnalysisClient<Channel> {
        TextAnalysisClient::new(self.channel.clone()).max_decoding_message_size(usize::MAX)
    }

    /// Waits until `n` calls are in flight (received, queued or running); fails the test
    /// if that does not happen within [`WAIT_LIMIT`].
    pub async fn wait_for_in_flight(&self, n: usize) {
        within_limit("calls in flight", self.activity.at_least(n)).await;
    }

    /// Starts the drain, as SIGTERM does.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Drains and waits for the server to stop.
    pub async fn shutdown(mut self) {
        self.begin_shutdown();
        self.task.await.unwrap().unwrap();
    }
}

/// The words of `text` in precise mode, as the server at `channel` cuts it.
pub async fn segment_words(channel: Channel, text: &str) -> Vec<String> {
    segment_words_in(channel, "", text).await
}

/// The words of `text` in precise mode, as the server at `channel` cuts it in `profile`.
pub async fn segment_words_in(channel: Channel, profile: &str, text: &str) -> Vec<String> {
    TextAnalysisClient::new(channel)
        .segment(textanalysis::grpc::pb::SegmentRequest {
            text: text.into(),
            profile: profile.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .into_iter()
        .map(|t| t.word)
        .collect()
}

/// The dictionary identity `ListModels` reports from the server at `channel`.
pub async fn dictionary_info(channel: Channel) -> textanalysis::grpc::pb::DictionaryInfo {
    TextAnalysisClient::new(channel)
        .list_models(textanalysis::grpc::pb::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner()
        .dictionary
        .unwrap()
}

/// A CA, a server certificate for `localhost` and a client certificate, all PEM (certificate,
/// key), made at test time: no key is committed.
pub struct Pki {
    pub ca: String,
    pub server: (String, String),
    pub client: (String, String),
}

pub fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Names of their own: OpenSSL (curl) takes a leaf whose issuer is its own subject (rcgen's
    // default name on both) for a self-signed certificate.
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "textanalysis test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca: ca.pem(),
        server: leaf("localhost"),
        client: leaf("client.textanalysis.test"),
    }
}

/// The words of a JSON Segment answer's tokens (grpcurl's or the HTTP API's).
pub fn json_words(answer: &serde_json::Value) -> Vec<String> {
    answer["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["word"].as_str().unwrap().to_owned())
        .collect()
}
