//! Starts the real server on 127.0.0.1:0 in-process and connects the generated client.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of this module

use std::sync::{Arc, OnceLock};

use textanalysis::core::{Analyzer, AnalyzerConfig, LiveAnalyzer};
use textanalysis::grpc::pb::text_analysis_client::TextAnalysisClient;
use textanalysis::server::{self, ServerOptions};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

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
    pub activity: textanalysis::grpc::Activity,
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), server::ServeError>>,
}

impl TestServer {
    /// Starts a server with default options.
    pub async fn start() -> Self {
        Self::with_options(ServerOptions::default()).await
    }

    /// Starts a server with `options`; it is listening when this returns (no sleeps).
    pub async fn with_options(options: ServerOptions) -> Self {
        Self::with_analyzer(analyzer(), options).await
    }

    /// Starts a server over `analyzer` (reloads read the default configuration again).
    pub async fn with_analyzer(analyzer: Arc<Analyzer>, options: ServerOptions) -> Self {
        let live = LiveAnalyzer::with_analyzer(analyzer, AnalyzerConfig::default());
        Self::with_live(Arc::new(live), options).await
    }

    /// Starts a server over `live`.
    pub async fn with_live(live: Arc<LiveAnalyzer>, options: ServerOptions) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let activity = options.activity.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let tls = options.tls.is_some();
        let task = tokio::spawn(server::run(listener, live, options, async {
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
            addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn client(&self) -> TextAnalysisClient<Channel> {
        TextAnalysisClient::new(self.channel.clone()).max_decoding_message_size(usize::MAX)
    }

    /// Waits until `n` calls are in flight (received, queued or running).
    pub async fn wait_for_in_flight(&self, n: usize) {
        while self.activity.in_flight() < n {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
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
    TextAnalysisClient::new(channel)
        .segment(textanalysis::grpc::pb::SegmentRequest {
            text: text.into(),
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
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca: ca.pem(),
        server: leaf("localhost"),
        client: leaf("client.textanalysis.test"),
    }
}
