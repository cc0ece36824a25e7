//! Prometheus metrics, served as text on their own HTTP port (`--metrics-addr`).
//!
//! What is counted is recorded in one place per call (the handlers' log line, see
//! `grpc::service`), so logs and metrics always agree.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::core::Analyzer;
use crate::grpc::Activity;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    name: String,
    labels: String,
    content_hash: String,
    default: String,
}

type Histograms = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    calls: Family<CallLabels, Counter>,
    latency: Histograms,
    text_chars: Family<MethodLabels, Counter>,
    shed: Counter,
    in_flight: Gauge,
}

fn latency_histogram() -> Histogram {
    // 50 µs to about 13 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty set of metrics, with the build's version as an info metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("textanalysis");
        let calls = Family::<CallLabels, Counter>::default();
        let latency = Histograms::new_with_constructor(latency_histogram);
        let text_chars = Family::<MethodLabels, Counter>::default();
        let shed = Counter::default();
        let in_flight = Gauge::default();
        registry.register(
            "calls",
            "Calls answered, by method and gRPC status code",
            calls.clone(),
        );
        registry.register(
            "call_duration_seconds",
            "Time from a call's arrival to its answer, by method",
            latency.clone(),
        );
        registry.register(
            "text_chars",
            "Characters of text analysed, by method",
            text_chars.clone(),
        );
        registry.register(
            "shed",
            "Calls refused with RESOURCE_EXHAUSTED because every worker was busy and the queue full",
            shed.clone(),
        );
        registry.register(
            "in_flight_calls",
            "Calls received and not yet answered",
            in_flight.clone(),
        );
        registry.register(
            "build",
            "The server's version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Self {
            registry: Mutex::new(registry),
            calls,
            latency,
            text_chars,
            shed,
            in_flight,
        }
    }

    /// Records what the analyzer serves: each model (name, labels, content hash) and the
    /// dictionaries, as info metrics.
    pub fn describe(&self, analyzer: &Analyzer, user_dicts: usize) {
        let Ok(mut registry) = self.registry.lock() else {
            return;
        };
        let models = analyzer.models();
        let default = models.default_name().map(str::to_owned);
        let family = Family::<ModelLabels, Gauge>::default();
        for model in models.iter() {
            let labels = ModelLabels {
                name: model.name.clone(),
                labels: model.model.labels().join(","),
                content_hash: model.content_hash.clone(),
                default: (Some(&model.name) == default.as_ref()).to_string(),
            };
            family.get_or_create(&labels).set(1);
        }
        registry.register(
            "model",
            "The classification models the server has loaded (value 1 each)",
            family,
        );
        registry.register(
            "dictionary",
            "The dictionaries: jieba's built-in one and how many user dictionaries",
            Info::new(vec![
                ("builtin", "jieba-0.42.1".to_owned()),
                ("user_dicts", user_dicts.to_string()),
            ]),
        );
    }

    /// Counts one answered call.
    pub(crate) fn record_call(
        &self,
        method: &str,
        code: tonic::Code,
        latency: Duration,
        text_chars: usize,
    ) {
        let method = method.to_owned();
        self.calls
            .get_or_create(&CallLabels {
                method: method.clone(),
                code: format!("{code:?}"),
            })
            .inc();
        let by_method = MethodLabels { method };
        self.latency
            .get_or_create(&by_method)
            .observe(latency.as_secs_f64());
        self.text_chars
            .get_or_create(&by_method)
            .inc_by(text_chars as u64);
    }

    /// Counts one call shed for lack of capacity.
    pub(crate) fn record_shed(&self) {
        self.shed.inc();
    }

    /// The metrics in Prometheus's text format, with `in_flight` calls.
    pub fn encode(&self, in_flight: usize) -> String {
        self.in_flight
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        let mut text = String::new();
        if let Ok(registry) = self.registry.lock() {
            // Writing into a String cannot fail.
            let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        }
        text
    }
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, activity: Activity) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (metrics, activity) = (Arc::clone(&metrics), activity.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let response =
                    if request.method() == Method::GET && request.uri().path() == "/metrics" {
                        Response::builder()
                            .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
                            .body(Full::new(Bytes::from(metrics.encode(activity.in_flight()))))
                    } else {
                        Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::from_static(b"metrics are at /metrics\n")))
                    };
                std::future::ready(Ok::<_, Infallible>(response.unwrap_or_default()))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
