//! gRPC-Web, for browsers: a request with a gRPC-Web content type is marked as such (so its
//! call is counted as `grpc-web`) and translated into gRPC by `tonic_web` before the guard sees
//! it; every other request (gRPC, HTTP/JSON over HTTP/1.1 or HTTP/2) goes to the guard as it
//! came, since `tonic_web` answers 400 to HTTP/1.1 requests that are not gRPC-Web.

use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response, header};
use tonic_web::{GrpcWebLayer, GrpcWebService};
use tower::Layer;

use super::BoxFuture;
use super::call::Protocol;

/// A layer adding [`GrpcWebDoor`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GrpcWebDoorLayer;

impl<S: Clone> Layer<S> for GrpcWebDoorLayer {
    type Service = GrpcWebDoor<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcWebDoor {
            web: GrpcWebLayer::new().layer(inner.clone()),
            inner,
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct GrpcWebDoor<S> {
    web: GrpcWebService<S>,
    inner: S,
}

impl<S> Service<Request<Body>> for GrpcWebDoor<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Either path may take the call: both must be ready.
        std::task::ready!(Service::<Request<Body>>::poll_ready(&mut self.web, cx))?;
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let web = request
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc-web"));
        if web {
            request.extensions_mut().insert(Protocol::GrpcWeb);
            Box::pin(self.web.call(request))
        } else {
            Box::pin(self.inner.call(request))
        }
    }
}
