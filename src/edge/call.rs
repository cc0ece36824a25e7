//! [`Call`]: which call a request is, worked out once from its path by the guard (the first
//! layer) and carried in the request's extensions for every layer and handler after it; and
//! [`Arrived`], when it arrived.

use std::sync::Arc;
use std::time::Instant;

use tonic::codegen::http::Extensions;

use super::routes::{HttpRoute, ROUTES, document_at, route_at};

/// The service a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallService {
    /// `textanalysis.v1.TextAnalysis`: the analyses.
    TextAnalysis,
    /// `textanalysis.v1.Admin`: reloads and word edits.
    Admin,
    /// `grpc.health.v1.Health`.
    Health,
    /// gRPC server reflection, `v1` or `v1alpha`.
    Reflection,
    /// The documents the HTTP door serves (the OpenAPI document, the playground).
    Documents,
    /// Anything else (answered UNIMPLEMENTED by the router).
    Other,
}

/// Which credentials a call needs (see `auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// None: health checks must reach the server without secrets.
    None,
    /// A client token, when the server has client tokens.
    Client,
    /// An admin token.
    Admin,
}

/// Which door a call came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// gRPC over HTTP/2.
    #[default]
    Grpc,
    /// gRPC-Web (from a browser), translated to gRPC before the guard.
    GrpcWeb,
    /// HTTP/JSON (HTTP/1.1 or HTTP/2), transcoded to gRPC after the guard.
    Http,
}

impl Protocol {
    /// Its name, as metrics label calls with it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::GrpcWeb => "grpc-web",
            Self::Http => "http",
        }
    }
}

/// One call, as the edge sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Its service.
    pub service: CallService,
    /// Its method's name, as logs and metrics give it (the last part of the path).
    pub method: Arc<str>,
    /// The door it came in by.
    pub protocol: Protocol,
    /// For an HTTP/JSON call of an RPC, its route's index in [`super::routes::ROUTES`].
    pub route: Option<usize>,
}

impl Call {
    /// The call a request for `path` makes.
    pub fn of(path: &str) -> Self {
        let (service, method) = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .unwrap_or(("", path.rsplit('/').next().unwrap_or_default()));
        let service = match service {
            "textanalysis.v1.TextAnalysis" => CallService::TextAnalysis,
            "textanalysis.v1.Admin" => CallService::Admin,
            "grpc.health.v1.Health" => CallService::Health,
            "grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection" => {
                CallService::Reflection
            }
            _ => CallService::Other,
        };
        Self {
            service,
            method: method.into(),
            protocol: Protocol::Grpc,
            route: None,
        }
    }

    /// The HTTP/JSON call of a request for `path`: an RPC's route or a document; `None` for a
    /// path the HTTP door does not serve.
    pub fn of_http(path: &str) -> Option<Self> {
        if let Some(document) = document_at(path) {
            return Some(Self {
                service: CallService::Documents,
                method: document.into(),
                protocol: Protocol::Http,
                route: None,
            });
        }
        let (index, route) = route_at(path)?;
        Some(Self {
            route: Some(index),
            protocol: Protocol::Http,
            ..Self::of(route.grpc_path)
        })
    }

    /// Its HTTP/JSON route, for an HTTP/JSON call of an RPC.
    pub fn http_route(&self) -> Option<&'static HttpRoute> {
        self.route.and_then(|i| ROUTES.get(i))
    }

    /// The call of a request with these extensions (put there by the guard); an unknown call
    /// for a request that did not pass it.
    pub fn in_extensions(extensions: &Extensions) -> Self {
        extensions
            .get::<Call>()
            .cloned()
            .unwrap_or_else(|| Self::of(""))
    }

    /// Whether the client sends a stream of messages, whose body lasts as long as it wants.
    pub fn streams_requests(&self) -> bool {
        self.http_route().is_some_and(|r| r.streaming)
            || matches!(
                (self.service, &*self.method),
                (CallService::TextAnalysis, "AnalyzeStream") | (CallService::Reflection, _)
            )
    }

    /// Whether the answer is a stream (not ready at once).
    pub fn streams_responses(&self) -> bool {
        self.streams_requests() || (self.service, &*self.method) == (CallService::Health, "Watch")
    }

    /// Whether it is an `AnalyzeBatch`, whose documents are counted before they are decoded.
    pub fn is_batch(&self) -> bool {
        (self.service, &*self.method) == (CallService::TextAnalysis, "AnalyzeBatch")
    }

    /// Which credentials it needs.
    pub fn credentials(&self) -> Credentials {
        match self.service {
            CallService::Health | CallService::Documents => Credentials::None,
            CallService::Admin => Credentials::Admin,
            _ => Credentials::Client,
        }
    }

    /// Whether it is counted in flight, holding the drain until its answer is written
    /// (health and reflection streams never do).
    pub fn holds_drain(&self) -> bool {
        self.service == CallService::TextAnalysis
    }
}

/// When a call's headers arrived, as the guard saw it: what its deadline counts from (also in
/// the handlers, so that a body slow to arrive does not move it later than the transport's own
/// timer, which answers CANCELLED).
#[derive(Debug, Clone, Copy)]
pub struct Arrived(pub Instant);

impl Arrived {
    /// When the call with these extensions arrived; now, for a call that did not pass the
    /// guard (as in tests of the handlers alone).
    pub fn of(extensions: &tonic::Extensions) -> Instant {
        extensions
            .get::<Arrived>()
            .map_or_else(Instant::now, |a| a.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_told_apart_by_their_paths() {
        let call = Call::of("/textanalysis.v1.TextAnalysis/AnalyzeBatch");
        assert_eq!(call.service, CallService::TextAnalysis);
        assert_eq!(&*call.method, "AnalyzeBatch");
        assert!(call.is_batch() && call.holds_drain() && !call.streams_requests());
        assert_eq!(call.credentials(), Credentials::Client);
        let stream = Call::of("/textanalysis.v1.TextAnalysis/AnalyzeStream");
        assert!(stream.streams_requests() && stream.streams_responses());
        let admin = Call::of("/textanalysis.v1.Admin/AddWords");
        assert_eq!(admin.credentials(), Credentials::Admin);
        assert!(!admin.holds_drain());
        let watch = Call::of("/grpc.health.v1.Health/Watch");
        assert_eq!(watch.credentials(), Credentials::None);
        assert!(watch.streams_responses() && !watch.streams_requests());
        for reflection in [
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ] {
            assert!(Call::of(reflection).streams_requests());
        }
        let other = Call::of("/nope");
        assert_eq!(other.service, CallService::Other);
        assert_eq!(&*other.method, "nope");
        assert_eq!(other.credentials(), Credentials::Client);
        // The same service name in another package is another service.
        assert_eq!(
            Call::of("/x.TextAnalysis/Segment").service,
            CallService::Other
        );
    }

    #[test]
    fn json_calls_are_the_rpcs_their_routes_name() {
        let call = Call::of_http("/v1/analyze:batch").unwrap();
        assert_eq!(
            (call.service, &*call.method),
            (CallService::TextAnalysis, "AnalyzeBatch")
        );
        assert_eq!(call.protocol, Protocol::Http);
        assert!(call.is_batch() && !call.streams_requests());
        assert!(
            Call::of_http("/v1/analyze:stream")
                .unwrap()
                .streams_requests()
        );
        let admin = Call::of_http("/v1/admin/words:add").unwrap();
        assert_eq!(admin.credentials(), Credentials::Admin);
        let document = Call::of_http("/v1/openapi.json").unwrap();
        assert_eq!(document.credentials(), Credentials::None);
        assert_eq!(&*Call::of_http("/").unwrap().method, "Playground");
        assert!(Call::of_http("/textanalysis.v1.TextAnalysis/Segment").is_none());
    }
}
