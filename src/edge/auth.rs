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

use super::call::{Call, Credentials};
use super::status::Refusal;
use crate::core::LoadError;

/// Why the configured tokens cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token file cannot be read.
    #[error(transparent)]
    Read(#[from] LoadError),
    /// The token file holds no token.
    #[error("{0}: holds no token (one a line)")]
    Empty(String),
    /// A token holds whitespace (its length is given, never the token).
    #[error("an auth token holds whitespace ({0} characters long); tokens are single words")]
    Whitespace(usize),
}

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
    pub fn load(file: Option<&Path>, list: Option<&str>) -> Result<Option<Self>, TokenError> {
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
                return Err(TokenError::Empty(path.display().to_string()));
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
            return Err(TokenError::Whitespace(bad.chars().count()));
        }
        Ok((!tokens.is_empty()).then(|| Self {
            digests: Arc::new(tokens.iter().map(|t| digest(t.as_bytes())).collect()),
        }))
    }

    /// Whether an `authorization` header value carries an accepted token. The scheme is
    /// matched without regard to case (RFC 7235).
    fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(token) = authorization.and_then(bearer_token) else {
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

/// The token of a `Bearer <token>` header value, the scheme in any case.
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    let (scheme, token) = value.split_at_checked(SCHEME.len())?;
    scheme.eq_ignore_ascii_case(SCHEME).then_some(token)
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
        let call = Call::in_extensions(request.extensions());
        // Two `authorization` headers are refused (UNAUTHENTICATED), whatever they hold: which
        // one counts would otherwise depend on the order a proxy kept them in.
        let mut values = request.headers().get_all("authorization").iter();
        let presented = match (values.next(), values.next()) {
            (Some(_), Some(_)) => Err(Refusal::Unauthenticated),
            (value, _) => Ok(value.map(|v| v.as_bytes())),
        };
        let needed = match call.credentials() {
            Credentials::None => None,
            Credentials::Client => self
                .tokens
                .clients
                .as_ref()
                .map(|t| (t, Refusal::Unauthenticated)),
            Credentials::Admin => self
                .tokens
                .admin
                .as_ref()
                .map(|t| (t, Refusal::PermissionDenied)),
        };
        let refused = match (needed, presented) {
            (None, _) => None,
            (Some(_), Err(refusal)) => Some(refusal),
            (Some((tokens, refusal)), Ok(presented)) => {
                (!tokens.accepts(presented)).then_some(refusal)
            }
        };
        match refused {
            None => futures_util::future::Either::Left(self.inner.call(request)),
            Some(refusal) => {
                futures_util::future::Either::Right(ready(Ok(refusal.status().into_http())))
            }
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
        assert!(tokens.accepts(Some(b"bearer alpha-token")));
        assert!(tokens.accepts(Some(b"BEARER beta-token")));
        assert!(!tokens.accepts(Some(b"alpha-token")));
        assert!(!tokens.accepts(Some(b"Bearer")));
        assert!(!tokens.accepts(Some(b"Basic alpha-token")));
        assert!(!tokens.accepts(None));
        assert!(BearerTokens::load(None, Some(" , ")).unwrap().is_none());
        assert!(BearerTokens::load(None, None).unwrap().is_none());
    }
}
