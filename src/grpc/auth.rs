//! Optional bearer-token authentication: every call but health checks must carry
//! `authorization: Bearer <token>` with one of the configured client tokens, and every `Admin`
//! call one of the admin tokens (client tokens do not open it, nor admin tokens the rest).
//!
//! Tokens are kept only as SHA-256 digests, and a presented token's digest is compared with
//! every one of them in constant time, so neither the comparison's time nor its early exit
//! tells a caller how much of a token it guessed.

use std::future::{Ready, ready};
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response};

use crate::core::LoadError;

/// Calls under this prefix need no token: probes must reach health without secrets.
const OPEN_PREFIX: &str = "/grpc.health.v1.Health/";
/// Calls under this prefix need an admin token.
const ADMIN_PREFIX: &str = "/textanalysis.v1.Admin/";

/// The accepted tokens, as digests.
#[derive(Clone)]
pub struct BearerTokens {
    digests: Arc<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for BearerTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BearerTokens({} tokens)", self.digests.len())
    }
}

impl BearerTokens {
    /// Tokens from `file` (one a line; blank lines and lines starting with `#` are skipped)
    /// and from `list` (comma-separated, as `TEXTANALYSIS_AUTH_TOKENS` holds them). `None` when
    /// neither names a token, so authentication stays off.
    pub fn load(file: Option<&Path>, list: Option<&str>) -> Result<Option<Self>, LoadError> {
        let mut tokens: Vec<String> = Vec::new();
        if let Some(path) = file {
            let text = crate::core::read_text(path)?;
            let from_file: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            if from_file.is_empty() {
                return Err(LoadError::Config(format!(
                    "{}: holds no token (one a line)",
                    path.display()
                )));
            }
            tokens.extend(from_file);
        }
        if let Some(list) = list {
            tokens.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        if let Some(bad) = tokens.iter().find(|t| t.chars().any(char::is_whitespace)) {
            return Err(LoadError::Config(format!(
                "an auth token holds whitespace ({} characters long); tokens are single words",
                bad.chars().count()
            )));
        }
        Ok((!tokens.is_empty()).then(|| Self {
            digests: Arc::new(tokens.iter().map(|t| digest(t.as_bytes())).collect()),
        }))
    }

    /// Whether an `authorization` header value carries an accepted token.
    fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = authorization.and_then(|v| v.strip_prefix(b"Bearer ")) else {
            return false;
        };
        let presented = digest(token);
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |found, d| {
                found | d.ct_eq(&presented)
            })
            .into()
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A layer refusing calls without an accepted token (when tokens are configured).
#[derive(Debug, Clone)]
pub(crate) struct AuthLayer {
    /// Tokens for every call but health and Admin; `None`: those calls are open.
    pub(crate) clients: Option<BearerTokens>,
    /// Tokens for Admin calls; `None`: Admin is not served (UNIMPLEMENTED), so nothing to check.
    pub(crate) admin: Option<BearerTokens>,
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            tokens: self.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Auth<S> {
    inner: S,
    tokens: AuthLayer,
}

impl<S, B> Service<Request<B>> for Auth<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = futures_util::future::Either<S::Future, Ready<Result<Response<Body>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let path = request.uri().path();
        let presented = || request.headers().get("authorization").map(|v| v.as_bytes());
        let refused = if path.starts_with(OPEN_PREFIX) {
            None
        } else if path.starts_with(ADMIN_PREFIX) {
            match &self.tokens.admin {
                Some(admin) if !admin.accepts(presented()) => {
                    Some(tonic::Status::permission_denied(
                        "Admin calls need an admin token (`authorization: Bearer <admin token>`)",
                    ))
                }
                _ => None,
            }
        } else {
            match &self.tokens.clients {
                Some(clients) if !clients.accepts(presented()) => {
                    Some(tonic::Status::unauthenticated(
                        "missing or unknown bearer token (send `authorization: Bearer <token>`)",
                    ))
                }
                _ => None,
            }
        };
        match refused {
            None => futures_util::future::Either::Left(self.inner.call(request)),
            Some(status) => futures_util::future::Either::Right(ready(Ok(status.into_http()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_tokens_in_bearer_form_are_accepted() {
        let tokens = BearerTokens::load(None, Some("alpha-token, beta-token ,"))
            .unwrap()
            .unwrap();
        assert!(tokens.accepts(Some(b"Bearer alpha-token")));
        assert!(tokens.accepts(Some(b"Bearer beta-token")));
        assert!(!tokens.accepts(Some(b"Bearer alpha-toke")));
        assert!(!tokens.accepts(Some(b"alpha-token")));
        assert!(!tokens.accepts(Some(b"Basic alpha-token")));
        assert!(!tokens.accepts(None));
        assert!(BearerTokens::load(None, Some(" , ")).unwrap().is_none());
        assert!(BearerTokens::load(None, None).unwrap().is_none());
    }
}
