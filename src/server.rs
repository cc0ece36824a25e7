//! Serving: the TextAnalysis service with health, reflection and a bounded graceful drain.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tower::ServiceBuilder;

use crate::core::LiveAnalyzer;
use crate::grpc::pb::admin_server::AdminServer;
use crate::grpc::pb::text_analysis_server::TextAnalysisServer;
use crate::grpc::{self, Activity, AdminService, Limits, TextAnalysisService, WorkPool, pb};
use crate::metrics::Metrics;
use crate::transport;

/// The fully qualified name of the analysis service, as health checks name it.
pub const SERVICE_NAME: &str = "textanalysis.v1.TextAnalysis";

/// The services reflection lists when the Admin service is off.
const ADVERTISED_WITHOUT_ADMIN: [&str; 4] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    SERVICE_NAME,
];

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Limits on each request's content.
    pub limits: Limits,
    /// The largest request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// How many analyses may run at once.
    pub workers: usize,
    /// How many analyses may wait for a worker; more are shed with RESOURCE_EXHAUSTED.
    pub max_queued: usize,
    /// The most concurrent HTTP/2 streams (calls) on one connection.
    pub max_concurrent_streams: u32,
    /// Connections are closed gracefully after this long, so clients reconnect and spread
    /// over new replicas; `None` keeps them open.
    pub max_connection_age: Option<Duration>,
    /// How long calls in flight may take to finish once a drain starts.
    pub grace_period: Duration,
    /// Where calls are counted; serve them with [`crate::metrics::serve`].
    pub metrics: Arc<Metrics>,
    /// TLS (and, with a client CA, mutual TLS); `None` serves plaintext.
    pub tls: Option<tonic::transport::ServerTlsConfig>,
    /// Bearer tokens every call but health checks must carry; `None` leaves the server open.
    pub auth: Option<crate::grpc::BearerTokens>,
    /// Admin tokens: with them the `Admin` service is served and requires one; `None` leaves
    /// it off (UNIMPLEMENTED).
    pub admin: Option<crate::grpc::BearerTokens>,
    /// A handle on the server's activity (calls in flight) for the caller to watch;
    /// keep a clone before handing the options over.
    pub activity: Activity,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            max_message_bytes: 4 * 1024 * 1024,
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            max_queued: 256,
            max_concurrent_streams: 200,
            max_connection_age: Some(Duration::from_secs(30 * 60)),
            grace_period: Duration::from_secs(10),
            auth: None,
            admin: None,
            tls: None,
            metrics: Arc::new(Metrics::new()),
            activity: Activity::default(),
        }
    }
}

/// h2's default limit on streams a peer may make the server reset (CVE-2023-44487 defence).
const H2_MAX_LOCAL_ERROR_RESETS: usize = 1024;
/// HTTP/2 pings on idle connections, and how long to wait for the answer before closing.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// After the calls in flight are answered, how long connections still open get to write out the
/// last responses and close (see [`transport::LINGER`]) before they are dropped: a health
/// `Watch` stream, for one, never ends by itself.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed (accepting connections, HTTP/2).
    #[error("server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The TLS certificate, key or client CA is unusable.
    #[error("TLS configuration: {0}")]
    Tls(tonic::transport::Error),
    /// The reflection descriptors built into the binary are invalid (a build defect).
    #[error("reflection descriptors are invalid: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves on `listener` until `shutdown` completes, then drains: health turns NOT_SERVING, the
/// listener closes and every connection gets GOAWAY (clients open new calls elsewhere), calls in
/// flight finish, and whatever is still open after the grace period is closed. The analyzer is
/// already built, so health is SERVING from the first call. The `Admin` service (reload, word
/// edits of `live`) is served only when `options.admin` holds tokens.
pub async fn run(
    listener: TcpListener,
    live: Arc<LiveAnalyzer>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(SERVICE_NAME, ServingStatus::Serving)
        .await;

    let activity = options.activity.clone();
    let metrics = Arc::clone(&options.metrics);
    let admin = options
        .admin
        .is_some()
        .then(|| AdminServer::new(AdminService::new(Arc::clone(&live), Arc::clone(&metrics))));
    let pool = WorkPool::new(
        live,
        options.workers,
        options.max_queued,
        Arc::clone(&metrics),
    );
    let service = TextAnalysisService::new(pool, options.limits, metrics);
    let analysis = TextAnalysisServer::new(service)
        .max_decoding_message_size(options.max_message_bytes)
        .max_encoding_message_size(usize::MAX);

    // Both reflection versions describe every service, each other included, and the
    // google.rpc error details, so grpcurl of any age lists everything and prints BadRequest.
    let descriptor_sets = [
        pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_types::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let mut v1 = tonic_reflection::server::Builder::configure().include_reflection_service(false);
    let mut v1alpha =
        tonic_reflection::server::Builder::configure().include_reflection_service(false);
    for set in descriptor_sets {
        v1 = v1.register_encoded_file_descriptor_set(set);
        v1alpha = v1alpha.register_encoded_file_descriptor_set(set);
    }
    // Every service in the descriptors is listed, but for Admin when it is off.
    if admin.is_none() {
        for name in ADVERTISED_WITHOUT_ADMIN {
            v1 = v1.with_service_name(name);
            v1alpha = v1alpha.with_service_name(name);
        }
    }
    let reflection_v1 = v1.build_v1()?;
    let reflection_v1alpha = v1alpha.build_v1alpha()?;

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // tonic's builder leaves hyper's HTTP/2 protections off; set them explicitly.
    let mut builder = Server::builder()
        .max_concurrent_streams(options.max_concurrent_streams)
        .http2_max_local_error_reset_streams(Some(H2_MAX_LOCAL_ERROR_RESETS))
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(tls) = options.tls.clone() {
        builder = builder.tls_config(tls).map_err(ServeError::Tls)?;
    }
    if let Some(age) = options.max_connection_age {
        builder = builder
            .max_connection_age(age)
            .max_connection_age_grace(options.grace_period);
    }
    let serve = builder
        .layer(
            ServiceBuilder::new()
                .map_response(grpc::client_fault_codes)
                .layer(grpc::AuthLayer {
                    clients: options.auth.clone(),
                    admin: options.admin.clone(),
                })
                .layer(grpc::TrackCallsLayer(activity.clone())),
        )
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(analysis)
        .add_optional_service(admin)
        .serve_with_incoming_shutdown(transport::incoming(listener), async {
            let _ = stop_rx.await;
        });
    tokio::pin!(serve);

    tokio::select! {
        result = &mut serve => return result.map_err(ServeError::from),
        () = shutdown => {}
    }
    tracing::info!(grace_secs = options.grace_period.as_secs_f64(), "draining");
    let deadline = tokio::time::Instant::now() + options.grace_period;
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    health
        .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
        .await;
    // Stop accepting and send GOAWAY on every connection at once: clients and balancers in
    // front (nginx, Envoy) open new calls elsewhere, while the calls this server has already
    // taken run to completion. Refusing calls with an application-level UNAVAILABLE instead
    // would reach the clients of a balancer as failures.
    let _ = stop_tx.send(());
    // The transport finishes once every connection is closed; open health Watch streams and
    // slow readers can hold one open, so after the calls in flight are answered the
    // connections get a moment to write them out, and whatever is left is dropped.
    let calls_done = async {
        activity.idle().await;
        tokio::time::sleep(CLOSE_GRACE).await;
    };
    tokio::select! {
        result = serve => result.map_err(ServeError::from)?,
        () = calls_done => {
            tracing::info!("calls answered; closing the connections still open (health watches)")
        }
        () = tokio::time::sleep_until(deadline) => tracing::warn!(
            in_flight = activity.in_flight(),
            "grace period over with calls in flight; closing their connections"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUPs, caught from the moment [`hangups`] is called (before the analyzer is built, so an
/// early SIGHUP does not kill the process; it is acted on once the server runs).
#[cfg(unix)]
#[derive(Debug)]
pub struct Hangups(tokio::signal::unix::Signal);

/// Starts catching SIGHUP (not on Windows, which has none).
#[cfg(unix)]
pub fn hangups() -> std::io::Result<Hangups> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).map(Hangups)
}

#[cfg(unix)]
impl Hangups {
    /// Reloads the dictionaries on every SIGHUP, as `Admin/Reload` does (a failed reload is
    /// logged and counted, and the analyzer serving before keeps serving), until the process
    /// ends.
    pub async fn reload(mut self, live: Arc<LiveAnalyzer>, metrics: Arc<Metrics>) {
        while self.0.recv().await.is_some() {
            tracing::info!("SIGHUP received: reloading the dictionaries");
            grpc::reload(Arc::clone(&live), Arc::clone(&metrics)).await;
        }
    }
}

/// Completes on SIGTERM (what container runtimes send) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                }
            }
            _ => {
                tracing::warn!("cannot install signal handlers; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
