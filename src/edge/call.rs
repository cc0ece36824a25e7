//! [`Call`]: which call a request is, worked out once from its path by the guard (the first
//! layer) and carried in the request's extensions for every layer and handler after it; and
//! [`Arrived`], when it arrived.

use std::sync::Arc;
use std::time::Instant;

use tonic::codegen::http::Extensions;

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

/// One call, as the edge sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Its service.
    pub service: CallService,
    /// Its method's name, as logs and metrics give it (the last part of the path).
    pub method: Arc<str>,
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
        }
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
        matches!(
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
            CallService::Health => Credentials::None,
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
}
