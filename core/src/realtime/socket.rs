//! The WebSocket under realtime, as two channels: text frames out, text frames and the close
//! in. Natively it is tokio-tungstenite over rustls; in browsers the wasm binding supplies the
//! browser's WebSocket through the same [`WsConnector`] trait (the core does not depend on
//! wasm-bindgen).

use crate::runtime::{BoxFuture, SendSyncOutsideWasm};
use futures::channel::mpsc;

/// Something the socket received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    Text(String),
    /// The socket is gone (closed by the peer, a network error, ...), with a reason.
    Closed(String),
}

/// Something to do with the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsCommand {
    Text(String),
    Close,
}

/// An open WebSocket.
#[derive(Debug)]
pub struct WsConnection {
    pub outgoing: mpsc::UnboundedSender<WsCommand>,
    pub incoming: mpsc::UnboundedReceiver<WsEvent>,
}

/// The socket could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsConnectError {
    /// The server answered the upgrade with an HTTP status (401, 503, ...).
    Http { status: u16, body: String },
    /// No connection (DNS, refused, TLS, ...).
    Network(String),
}

impl WsConnectError {
    /// The same text as `{:?}`, written out: the derived `Debug` would bring the formatter's
    /// struct and tuple builders into the web build for this one message.
    pub(crate) fn debug_text(&self) -> String {
        match self {
            WsConnectError::Http { status, body } => {
                format!("Http {{ status: {status}, body: {body:?} }}")
            }
            WsConnectError::Network(message) => format!("Network({message:?})"),
        }
    }
}

/// Opens WebSockets.
pub trait WsConnector: SendSyncOutsideWasm {
    /// Connects to `url` offering `protocols` (the first is `graphql-ws`).
    fn connect(
        &self,
        url: String,
        protocols: Vec<String>,
    ) -> BoxFuture<'_, Result<WsConnection, WsConnectError>>;
}

#[cfg(not(target_family = "wasm"))]
pub use native::TungsteniteConnector;

#[cfg(not(target_family = "wasm"))]
mod native {
    use super::*;
    use futures::{SinkExt, StreamExt};
    use std::sync::Arc;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{Error as WsError, Message};
    use tokio_tungstenite::Connector;

    /// WebSockets through tokio-tungstenite, TLS by rustls (ring) with the webpki roots.
    #[derive(Debug, Clone)]
    pub struct TungsteniteConnector {
        tls: Arc<rustls::ClientConfig>,
    }

    impl TungsteniteConnector {
        pub fn new() -> Result<Self, String> {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(TungsteniteConnector { tls: Arc::new(tls) })
        }
    }

    impl WsConnector for TungsteniteConnector {
        fn connect(
            &self,
            url: String,
            protocols: Vec<String>,
        ) -> BoxFuture<'_, Result<WsConnection, WsConnectError>> {
            Box::pin(async move {
                let mut request = url
                    .as_str()
                    .into_client_request()
                    .map_err(|e| WsConnectError::Network(e.to_string()))?;
                let offered = protocols.join(", ");
                let value = offered
                    .parse()
                    .map_err(|_| WsConnectError::Network("invalid subprotocol".into()))?;
                request
                    .headers_mut()
                    .insert("sec-websocket-protocol", value);
                let connector = Connector::Rustls(self.tls.clone());
                let (stream, _response) = tokio_tungstenite::connect_async_tls_with_config(
                    request,
                    None,
                    true,
                    Some(connector),
                )
                .await
                .map_err(|e| match e {
                    WsError::Http(response) => WsConnectError::Http {
                        status: response.status().as_u16(),
                        body: response
                            .body()
                            .as_ref()
                            .map(|b| String::from_utf8_lossy(b).into_owned())
                            .unwrap_or_default(),
                    },
                    other => WsConnectError::Network(other.to_string()),
                })?;
                let (mut sink, mut source) = stream.split();
                let (out_tx, mut out_rx) = mpsc::unbounded::<WsCommand>();
                let (in_tx, in_rx) = mpsc::unbounded::<WsEvent>();
                tokio::spawn(async move {
                    while let Some(command) = out_rx.next().await {
                        let result = match command {
                            WsCommand::Text(text) => sink.send(Message::Text(text.into())).await,
                            WsCommand::Close => {
                                let _ = sink.close().await;
                                break;
                            }
                        };
                        if result.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    let reason = loop {
                        match source.next().await {
                            Some(Ok(Message::Text(text))) => {
                                if in_tx
                                    .unbounded_send(WsEvent::Text(text.to_string()))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                            Some(Ok(Message::Close(frame))) => {
                                break frame
                                    .map(|f| {
                                        format!(
                                            "closed by the server ({} {})",
                                            u16::from(f.code),
                                            f.reason
                                        )
                                    })
                                    .unwrap_or_else(|| "closed by the server".into())
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => break format!("socket error: {e}"),
                            None => break "socket ended".into(),
                        }
                    };
                    let _ = in_tx.unbounded_send(WsEvent::Closed(reason));
                });
                Ok(WsConnection {
                    outgoing: out_tx,
                    incoming: in_rx,
                })
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WsConnectError;

    #[test]
    fn debug_text_is_the_derived_debug() {
        for error in [
            WsConnectError::Http {
                status: 401,
                body: "{\"errors\":[\"no\"]}\n\u{7f}é".into(),
            },
            WsConnectError::Network("refused: \"x\"\t\\ \u{301}".into()),
        ] {
            assert_eq!(error.debug_text(), format!("{error:?}"));
        }
    }
}
