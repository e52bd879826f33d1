//! The network under the client: an HTTP transport trait with reqwest natively (rustls); in
//! browsers the web package passes a `fetch` transport, so the browser build carries neither
//! reqwest nor the `url` crate.

mod http;

#[cfg(not(target_family = "wasm"))]
pub use http::ReqwestTransport;
pub use http::{HttpRequest, HttpResponse, HttpTransport, TransportError};

use std::sync::Arc;

/// The platform's default transport: reqwest natively.
#[cfg(not(target_family = "wasm"))]
pub fn default_transport() -> Arc<dyn HttpTransport> {
    Arc::new(ReqwestTransport::new())
}

/// In browsers there is no default: the web package passes its `fetch` transport, and a client
/// built without one answers every request with a clear network error.
#[cfg(target_family = "wasm")]
pub fn default_transport() -> Arc<dyn HttpTransport> {
    Arc::new(http::Unavailable)
}
