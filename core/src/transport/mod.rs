//! The network under the client: an HTTP transport trait and its reqwest implementation
//! (rustls natively, `fetch` on wasm). WebSocket arrives with realtime.

mod http;

pub use http::{HttpRequest, HttpResponse, HttpTransport, ReqwestTransport, TransportError};
