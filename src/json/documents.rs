//! The documents the HTTP door serves, built into the binary: the OpenAPI document of the
//! JSON API (generated from the proto) and the playground, a page that draws the API's answers
//! (`web/`: one HTML file, its script and style, no libraries), with a seed document as its
//! example text. The page loads nothing from anywhere but this server, which its
//! Content-Security-Policy also says.

use bytes::Bytes;
use http_body_util::Full;
use tonic::body::Body;
use tonic::codegen::http::{HeaderValue, Response, header};

use crate::edge::routes::OPENAPI_PATH;

/// The OpenAPI 3 document of the JSON API, generated from the proto by build.rs.
pub const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// The playground's files: path, content type, content.
const PLAYGROUND: [(&str, &str, &str); 4] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "/playground.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/playground.js"),
    ),
    (
        "/playground.css",
        "text/css; charset=utf-8",
        include_str!("../../web/playground.css"),
    ),
    (
        "/playground/example.txt",
        "text/plain; charset=utf-8",
        include_str!("../../seeds/002_42c0c996b8dd257d.txt"),
    ),
];

/// Only this server's own files, scripts and styles; no frames.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
                      base-uri 'none'; form-action 'none'";

/// The document at `path` (the playground's only when `playground`), with its headers.
pub(crate) fn document(path: &str, playground: bool) -> Option<Response<Body>> {
    let (content_type, text) = if path == OPENAPI_PATH {
        ("application/json", OPENAPI)
    } else {
        PLAYGROUND
            .iter()
            .find(|(at, _, _)| playground && *at == path)
            .map(|(_, content_type, text)| (*content_type, *text))?
    };
    let mut response = Response::new(Body::new(Full::new(Bytes::from_static(text.as_bytes()))));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

/// The size of the playground, in bytes (its files but the example text).
pub fn playground_bytes() -> usize {
    PLAYGROUND[..3].iter().map(|(_, _, text)| text.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_playground_is_served_only_when_on_and_stays_small() {
        assert!(document("/", true).is_some());
        assert!(document("/", false).is_none());
        assert!(document(OPENAPI_PATH, false).is_some());
        assert!(document("/nope", true).is_none());
        assert!(playground_bytes() < 32 * 1024, "{}", playground_bytes());
    }
}
