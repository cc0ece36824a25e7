//! Serving: the TextAnalysis service with health, reflection and a bounded graceful drain.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Server as TonicServer, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tonic_reflection::server::Builder as ReflectionBuilder;
use tower::ServiceBuilder;

use crate::core::Profiles;
use crate::dictionary_changes;
use crate::edge::transport::{self, ConnectionLimits};
use crate::edge::{
    Activity, AuthLayer, BearerTokens, GrpcWebDoorLayer, GuardLayer, Limits, MemoryBudget,
    TrackCallsLayer,
};
use crate::grpc::pb::admin_server::AdminServer;
use crate::grpc::pb::text_analysis_server::TextAnalysisServer;
use crate::grpc::{AdminService, TextAnalysisService, WorkPool, pb};
use crate::json::JsonDoorLayer;
use crate::metrics::Metrics;
use tonic::codegen::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The fully qualified name of the analysis service, as health checks name it.
pub const SERVICE_NAME: &str = "textanalysis.v1.TextAnalysis";

/// The services reflection lists when the Admin service is off.
const ADVERTISED_WITHOUT_ADMIN: [&str; 4] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    SERVICE_NAME,
];

/// How the server runs: plain settings, read and checked before anything is bound.
#[derive(Debug, Clone)]
pub struct Settings {
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
    /// TLS (and, with a client CA, mutual TLS); `None` serves plaintext.
    pub tls: Option<ServerTlsConfig>,
    /// Bearer tokens every call but health checks must carry; `None` leaves the server open.
    pub auth: Option<BearerTokens>,
    /// Admin tokens: with them the `Admin` service is served and requires one; `None` leaves
    /// it off (UNIMPLEMENTED).
    pub admin: Option<BearerTokens>,
    /// Bytes of requests being received and answers not yet written that the server holds at
    /// most; past them new calls are refused (RESOURCE_EXHAUSTED).
    pub memory_budget_bytes: usize,
    /// Time limits and bounds on each connection.
    pub connections: ConnectionLimits,
    /// How often the files the analyzer reads are checked for changes made by others (see
    /// `LiveAnalyzer::refresh`); `None` never checks.
    pub watch_interval: Option<Duration>,
    /// Browser origins allowed by CORS (`*`: any); empty: CORS off.
    pub cors_allow_origins: Vec<String>,
    /// Whether the playground page is served at `/`.
    pub playground: bool,
    /// Whether every named profile has its own dictionary series in the metrics (with a
    /// thousand profiles, about 7,000 series); otherwise only `default` has them.
    pub profile_metrics: bool,
}

impl Default for Settings {
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
            memory_budget_bytes: 96 << 20,
            connections: ConnectionLimits::default(),
            watch_interval: Some(Duration::from_millis(250)),
            cors_allow_origins: Vec::new(),
            playground: true,
            profile_metrics: true,
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

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why the server could not start or stopped with an error.
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

/// A server ready to run: its settings checked (TLS included), its metrics and activity
/// handles made, nothing bound yet.
#[derive(Debug)]
pub struct Server {
    profiles: Arc<Profiles>,
    settings: Settings,
    metrics: Arc<Metrics>,
    activity: Activity,
    budget: MemoryBudget,
}

impl Server {
    /// A server of `profiles`' analyzers with `settings`. Fails if the TLS identity or client
    /// CA is unusable, so that configuration is refused before any port is bound.
    pub fn new(profiles: Arc<Profiles>, settings: Settings) -> Result<Self, ServeError> {
        if let Some(tls) = settings.tls.clone() {
            TonicServer::builder()
                .tls_config(tls)
                .map_err(ServeError::Tls)?;
        }
        let metrics = Arc::new(Metrics::new());
        if !settings.profile_metrics {
            metrics.only_default_profile();
        }
        for (profile, live) in profiles.all() {
            metrics.describe(&profile, &live.current());
        }
        let activity = Activity::new(Arc::clone(&metrics));
        let budget = MemoryBudget::new(settings.memory_budget_bytes);
        let watched = budget.clone();
        metrics.watch_budget(budget.limit(), move || watched.used());
        Ok(Self {
            profiles,
            settings,
            metrics,
            activity,
            budget,
        })
    }

    /// Where calls are counted; serve them with [`crate::metrics::serve`].
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// The calls in flight, to watch from outside.
    pub fn activity(&self) -> Activity {
        self.activity.clone()
    }

    /// The dictionary profiles in service.
    pub fn profiles(&self) -> Arc<Profiles> {
        Arc::clone(&self.profiles)
    }

    /// Serves on `listener` until `shutdown` completes, then drains: health turns NOT_SERVING,
    /// the listener closes and every connection gets GOAWAY (clients open new calls elsewhere),
    /// calls in flight finish, and whatever is still open after the grace period is closed. The
    /// analyzer is already built, so health is SERVING from the first call. The `Admin` service
    /// (reload, word edits) is served only when the settings hold admin tokens.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let Self {
            profiles,
            settings,
            metrics,
            activity,
            budget,
        } = self;
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status(SERVICE_NAME, ServingStatus::Serving)
            .await;
        let admin = settings.admin.is_some().then(|| {
            AdminServer::new(AdminService::new(
                Arc::clone(&profiles),
                Arc::clone(&metrics),
            ))
        });
        // Follows the files as long as the server runs.
        let _following = settings.watch_interval.map(|interval| {
            AbortOnDrop(tokio::spawn(dictionary_changes::follow(
                Arc::clone(&profiles),
                Arc::clone(&metrics),
                interval,
            )))
        });
        let (v1, v1alpha) = reflection(admin.is_some());
        let (reflection_v1, reflection_v1alpha) = (v1.build_v1()?, v1alpha.build_v1alpha()?);
        let analysis = analysis_service(profiles, &settings, &budget, Arc::clone(&metrics));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let builder = transport(&settings)?;
        let connections = transport::incoming(listener, settings.connections, budget.clone(), {
            let metrics = Arc::clone(&metrics);
            Arc::new(move |_: &std::io::Error| metrics.accept_failed())
        });
        let serve = builder
            .layer(
                ServiceBuilder::new()
                    .option_layer(cors(&settings.cors_allow_origins))
                    .layer(GrpcWebDoorLayer)
                    .layer(GuardLayer {
                        metrics,
                        budget,
                        limits: settings.limits,
                        max_body_bytes: settings.max_message_bytes,
                    })
                    .layer(JsonDoorLayer {
                        max_line_bytes: settings.max_message_bytes,
                        playground: settings.playground,
                    })
                    .layer(AuthLayer {
                        clients: settings.auth.clone(),
                        admin: settings.admin.clone(),
                    })
                    .layer(TrackCallsLayer(activity.clone())),
            )
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(analysis)
            .add_optional_service(admin)
            .serve_with_incoming_shutdown(connections, async {
                let _ = stop_rx.await;
            });
        tokio::pin!(serve);

        tokio::select! {
            result = &mut serve => return result.map_err(ServeError::from),
            () = shutdown => {}
        }
        drain(&health, stop_tx, serve, &activity, settings.grace_period).await
    }
}

/// The analysis service over `profiles`, its work on a pool sized by `settings` and held to
/// `budget`.
fn analysis_service(
    profiles: Arc<Profiles>,
    settings: &Settings,
    budget: &MemoryBudget,
    metrics: Arc<Metrics>,
) -> TextAnalysisServer<TextAnalysisService> {
    let pool = WorkPool::new(settings.workers, settings.max_queued, Arc::clone(&metrics))
        .with_budget(budget.clone());
    TextAnalysisServer::new(TextAnalysisService::new(
        profiles,
        pool,
        settings.limits,
        metrics,
    ))
    .max_decoding_message_size(settings.max_message_bytes)
    .max_encoding_message_size(usize::MAX)
}

/// CORS for the allowed origins (`*`: any), or none when there are none: preflights answered,
/// the headers gRPC-Web and the JSON API send allowed, gRPC's status headers exposed.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let names = |names: &[&'static str]| -> Vec<HeaderName> {
        names.iter().map(|n| HeaderName::from_static(n)).collect()
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers(names(&[
                "content-type",
                "authorization",
                "x-timeout-ms",
                "grpc-timeout",
                "x-grpc-web",
                "x-user-agent",
            ]))
            .expose_headers(names(&[
                "grpc-status",
                "grpc-message",
                "grpc-status-details-bin",
                "retry-after",
            ]))
            .max_age(Duration::from_secs(600)),
    )
}

/// tonic's server with the HTTP/2 protections, TLS and connection age `settings` ask for
/// (tonic's builder leaves hyper's HTTP/2 protections off; they are set explicitly). HTTP/1.1
/// is accepted too, for the JSON API and gRPC-Web.
fn transport(settings: &Settings) -> Result<TonicServer, ServeError> {
    let mut builder = TonicServer::builder()
        .accept_http1(true)
        .max_concurrent_streams(settings.max_concurrent_streams)
        .http2_max_local_error_reset_streams(Some(H2_MAX_LOCAL_ERROR_RESETS))
        .http2_keepalive_interval(Some(KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT));
    if let Some(tls) = settings.tls.clone() {
        builder = builder.tls_config(tls).map_err(ServeError::Tls)?;
    }
    if let Some(age) = settings.max_connection_age {
        builder = builder
            .max_connection_age(age)
            .max_connection_age_grace(settings.grace_period);
    }
    Ok(builder)
}

/// The drain: health turns NOT_SERVING, GOAWAY goes out on every connection (`stop`), the
/// calls in flight finish, and after `grace` whatever is still open is dropped.
async fn drain(
    health: &HealthReporter,
    stop: tokio::sync::oneshot::Sender<()>,
    serve: impl Future<Output = Result<(), tonic::transport::Error>>,
    activity: &Activity,
    grace: Duration,
) -> Result<(), ServeError> {
    tracing::info!(grace_secs = grace.as_secs_f64(), "draining");
    let deadline = tokio::time::Instant::now() + grace;
    not_serving(health).await;
    // Stop accepting and send GOAWAY on every connection at once: clients and balancers in
    // front (nginx, Envoy) open new calls elsewhere, while the calls this server has already
    // taken run to completion. Refusing calls with an application-level UNAVAILABLE instead
    // would reach the clients of a balancer as failures.
    let _ = stop.send(());
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

/// The builders of both reflection versions. Each describes every service, each other
/// included, and the google.rpc error details, so grpcurl of any age lists everything and prints
/// BadRequest; every service in the descriptors is listed but Admin when it is off.
fn reflection(admin_on: bool) -> (ReflectionBuilder<'static>, ReflectionBuilder<'static>) {
    let descriptor_sets = [
        pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_types::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ];
    let mut v1 = ReflectionBuilder::configure().include_reflection_service(false);
    let mut v1alpha = ReflectionBuilder::configure().include_reflection_service(false);
    for set in descriptor_sets {
        v1 = v1.register_encoded_file_descriptor_set(set);
        v1alpha = v1alpha.register_encoded_file_descriptor_set(set);
    }
    if !admin_on {
        for name in ADVERTISED_WITHOUT_ADMIN {
            v1 = v1.with_service_name(name);
            v1alpha = v1alpha.with_service_name(name);
        }
    }
    (v1, v1alpha)
}

/// Health turns NOT_SERVING, for the whole server and the analysis service.
async fn not_serving(health: &HealthReporter) {
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    health
        .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
        .await;
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
    /// Reloads every profile's dictionaries on every SIGHUP, as `Admin/Reload` does (a failed
    /// reload is logged and counted, and the analyzer serving before keeps serving), until the
    /// process ends.
    pub async fn reload(mut self, profiles: Arc<Profiles>, metrics: Arc<Metrics>) {
        while self.0.recv().await.is_some() {
            tracing::info!("SIGHUP received: reloading the dictionaries");
            dictionary_changes::reload_all(&profiles, &metrics).await;
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
