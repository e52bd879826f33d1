//! The browser's `WebSocket` as the core's [`WsConnector`]: `onopen` completes the connect,
//! `onmessage` pushes text frames, `onclose` pushes the close (noting an `onerror` before it); a
//! local task forwards the core's commands to `send` / `close`. The event handlers live exactly as long as the socket is
//! in use: when the core drops its end (or the connect is abandoned) they are detached, the
//! socket closed and the closures freed.

use appsync_core::realtime::{WsCommand, WsConnectError, WsConnection, WsConnector, WsEvent};
use appsync_core::runtime::BoxFuture;
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

/// Opens realtime connections with the browser's `WebSocket`.
#[derive(Debug, Default, Clone, Copy)]
pub struct BrowserWebSocketConnector;

/// The open outcome, sent once by whichever of `onopen` / `onerror` / `onclose` comes first
/// (later signals find it taken and do nothing).
type OpenSignal = Rc<RefCell<Option<oneshot::Sender<Result<(), String>>>>>;

/// A socket with its handlers. Dropping it detaches the handlers, closes the socket, then frees
/// the closures (fields drop after `drop` runs).
struct AttachedSocket {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for AttachedSocket {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

fn signal_open(open: &OpenSignal, outcome: Result<(), String>) {
    if let Some(sender) = open.borrow_mut().take() {
        let _ = sender.send(outcome);
    }
}

fn close_reason(event: &CloseEvent) -> String {
    let reason = event.reason();
    if reason.is_empty() {
        format!("socket closed (code {})", event.code())
    } else {
        format!("socket closed (code {}: {reason})", event.code())
    }
}

/// A socket being opened: the socket with its handlers, the open outcome, the received events.
struct Opening {
    attached: AttachedSocket,
    opened: oneshot::Receiver<Result<(), String>>,
    incoming: mpsc::UnboundedReceiver<WsEvent>,
}

fn attach(url: &str, protocols: &[String]) -> Result<Opening, WsConnectError> {
    let offered = js_sys::Array::new();
    for protocol in protocols {
        offered.push(&JsValue::from_str(protocol));
    }
    let socket = WebSocket::new_with_str_sequence(url, &offered)
        .map_err(|e| WsConnectError::Network(crate::js::describe_thrown(&e)))?;

    let (open_tx, open_rx) = oneshot::channel();
    let open: OpenSignal = Rc::new(RefCell::new(Some(open_tx)));
    let (in_tx, in_rx) = mpsc::unbounded::<WsEvent>();

    let on_open = {
        let open = open.clone();
        Closure::<dyn FnMut(Event)>::new(move |_| signal_open(&open, Ok(())))
    };
    let on_message = {
        let in_tx = in_tx.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            // AppSync speaks text frames only; anything else is not part of the protocol.
            if let Some(text) = event.data().as_string() {
                let _ = in_tx.unbounded_send(WsEvent::Text(text));
            }
        })
    };
    // Browsers give no detail for socket errors, and a close event always follows an error: the
    // error is remembered and the close reports the loss once.
    let errored = Rc::new(Cell::new(false));
    let on_error = {
        let open = open.clone();
        let errored = errored.clone();
        Closure::<dyn FnMut(Event)>::new(move |_| {
            errored.set(true);
            signal_open(&open, Err("the WebSocket could not be opened".into()));
        })
    };
    let on_close = {
        let open = open.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let mut reason = close_reason(&event);
            if errored.get() {
                reason = format!("socket error, {reason}");
            }
            let opening = open.borrow().is_some();
            if opening {
                signal_open(&open, Err(reason));
            } else {
                let _ = in_tx.unbounded_send(WsEvent::Closed(reason));
            }
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let attached = AttachedSocket {
        socket,
        _on_open: on_open,
        _on_message: on_message,
        _on_error: on_error,
        _on_close: on_close,
    };
    Ok(Opening {
        attached,
        opened: open_rx,
        incoming: in_rx,
    })
}

/// Forwards the core's commands until it closes the socket or drops its end; then the socket
/// and its handlers go.
async fn forward(attached: AttachedSocket, mut commands: mpsc::UnboundedReceiver<WsCommand>) {
    while let Some(command) = commands.next().await {
        match command {
            WsCommand::Text(text) => {
                if attached.socket.send_with_str(&text).is_err() {
                    break;
                }
            }
            WsCommand::Close => break,
        }
    }
    drop(attached);
}

impl WsConnector for BrowserWebSocketConnector {
    fn connect(
        &self,
        url: String,
        protocols: Vec<String>,
    ) -> BoxFuture<'_, Result<WsConnection, WsConnectError>> {
        Box::pin(async move {
            // If this future is dropped before `onopen` (connect timeout), `attached` drops with
            // it and the half-open socket is closed.
            let Opening {
                attached,
                opened,
                incoming,
            } = attach(&url, &protocols)?;
            match opened.await {
                Ok(Ok(())) => {}
                Ok(Err(reason)) => return Err(WsConnectError::Network(reason)),
                Err(_) => return Err(WsConnectError::Network("the socket went away".into())),
            }
            let (outgoing, commands) = mpsc::unbounded::<WsCommand>();
            appsync_core::runtime::spawn(forward(attached, commands));
            Ok(WsConnection { outgoing, incoming })
        })
    }
}
