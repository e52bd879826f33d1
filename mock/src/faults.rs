//! Fault injection: what the next requests should suffer (an HTTP status, a Retry-After, a
//! connection reset, latency). Driven by the Rust handle in tests and by the control endpoint
//! (`/__mock/faults`) from any language.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// A failure to answer instead of executing the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailSpec {
    /// HTTP status, e.g. 500, 503, 429, 401.
    pub status: u16,
    /// Seconds for a `Retry-After` header (429, 503).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

/// The faults control document (`POST /__mock/faults`): every field optional, applied on top.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRequest {
    /// Fail this many of the next GraphQL requests with `fail`.
    #[serde(default)]
    pub fail_next: Option<u32>,
    #[serde(default)]
    pub fail: Option<FailSpec>,
    /// Added before every GraphQL response.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Close the connection without answering for the next N GraphQL requests.
    #[serde(default)]
    pub reset_next: Option<u32>,
    /// Realtime: close every open WebSocket now.
    #[serde(default)]
    pub close_sockets: Option<bool>,
    /// Realtime: stop (true) or resume (false) sending keep-alives.
    #[serde(default)]
    pub withhold_ka: Option<bool>,
    /// Realtime: refuse the next N WebSocket handshakes (HTTP 503).
    #[serde(default)]
    pub reject_handshakes: Option<u32>,
    /// Realtime: delay every message the server sends by this much.
    #[serde(default)]
    pub ws_delay_ms: Option<u64>,
    /// Answer this many of the next GraphQL requests with `answer` (status 200, JSON content
    /// type, the text as given: it need not be valid) instead of executing them.
    #[serde(default)]
    pub answer_next: Option<u32>,
    #[serde(default)]
    pub answer: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    fail_remaining: u32,
    fail: Option<FailSpec>,
    latency: Duration,
    reset_remaining: u32,
    withhold_ka: bool,
    reject_handshakes: u32,
    ws_delay: Duration,
    answer_remaining: u32,
    answer: String,
}

/// What to do with one incoming GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    Proceed,
    Fail(FailSpec),
    Reset,
    /// Answer 200 with this body.
    Answer(String),
}

/// The live fault settings of one server.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<State>,
    /// Bumped to close every open WebSocket.
    close_sockets: tokio::sync::watch::Sender<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            state: Mutex::new(State::default()),
            close_sockets: tokio::sync::watch::channel(0).0,
        }
    }
}

impl Faults {
    /// Applies a control document. A `failNext` without `fail` fails with 500.
    pub fn apply(&self, request: &FaultRequest) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(n) = request.fail_next {
            state.fail_remaining = n;
            state.fail = Some(request.fail.clone().unwrap_or(FailSpec {
                status: 500,
                retry_after: None,
            }));
        }
        if let Some(ms) = request.latency_ms {
            state.latency = Duration::from_millis(ms);
        }
        if let Some(n) = request.reset_next {
            state.reset_remaining = n;
        }
        if let Some(withhold) = request.withhold_ka {
            state.withhold_ka = withhold;
        }
        if let Some(n) = request.reject_handshakes {
            state.reject_handshakes = n;
        }
        if let Some(ms) = request.ws_delay_ms {
            state.ws_delay = Duration::from_millis(ms);
        }
        if let Some(n) = request.answer_next {
            state.answer_remaining = n;
            state.answer = request.answer.clone().unwrap_or_default();
        }
        drop(state);
        if request.close_sockets == Some(true) {
            self.close_sockets();
        }
    }

    /// Closes every open realtime connection now.
    pub fn close_sockets(&self) {
        self.close_sockets.send_modify(|n| *n += 1);
    }

    /// A receiver that changes whenever sockets are to be closed.
    pub fn close_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.close_sockets.subscribe()
    }

    /// Stops (or resumes) keep-alive messages on every connection.
    pub fn withhold_ka(&self, withhold: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.withhold_ka = withhold;
        }
    }

    pub fn ka_withheld(&self) -> bool {
        self.state.lock().map(|s| s.withhold_ka).unwrap_or(false)
    }

    /// Refuses the next `count` WebSocket handshakes.
    pub fn reject_handshakes(&self, count: u32) {
        if let Ok(mut state) = self.state.lock() {
            state.reject_handshakes = count;
        }
    }

    /// Takes one handshake rejection, if any are due.
    pub fn take_handshake_rejection(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.reject_handshakes > 0 {
            state.reject_handshakes -= 1;
            return true;
        }
        false
    }

    /// Delays every realtime message the server sends.
    pub fn set_ws_delay(&self, delay: Duration) {
        if let Ok(mut state) = self.state.lock() {
            state.ws_delay = delay;
        }
    }

    pub fn ws_delay(&self) -> Duration {
        self.state.lock().map(|s| s.ws_delay).unwrap_or_default()
    }

    /// Fails the next `count` requests with `status`.
    pub fn fail_next(&self, count: u32, status: u16, retry_after: Option<u32>) {
        self.apply(&FaultRequest {
            fail_next: Some(count),
            fail: Some(FailSpec {
                status,
                retry_after,
            }),
            ..FaultRequest::default()
        });
    }

    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut state) = self.state.lock() {
            state.latency = latency;
        }
    }

    /// Drops the connection of the next `count` requests without an answer.
    pub fn reset_next(&self, count: u32) {
        if let Ok(mut state) = self.state.lock() {
            state.reset_remaining = count;
        }
    }

    /// Back to normal.
    pub fn clear(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = State::default();
        }
    }

    pub fn latency(&self) -> Duration {
        self.state.lock().map(|s| s.latency).unwrap_or_default()
    }

    /// Takes the action for the next request, counting it down.
    pub fn next_action(&self) -> FaultAction {
        let Ok(mut state) = self.state.lock() else {
            return FaultAction::Proceed;
        };
        if state.reset_remaining > 0 {
            state.reset_remaining -= 1;
            return FaultAction::Reset;
        }
        if state.fail_remaining > 0 {
            state.fail_remaining -= 1;
            if let Some(spec) = state.fail.clone() {
                return FaultAction::Fail(spec);
            }
        }
        if state.answer_remaining > 0 {
            state.answer_remaining -= 1;
            return FaultAction::Answer(state.answer.clone());
        }
        FaultAction::Proceed
    }

    /// The current settings, for `GET /__mock/faults`.
    pub fn snapshot(&self) -> serde_json::Value {
        let Ok(state) = self.state.lock() else {
            return serde_json::Value::Null;
        };
        serde_json::json!({
            "failRemaining": state.fail_remaining,
            "fail": state.fail,
            "latencyMs": state.latency.as_millis() as u64,
            "resetRemaining": state.reset_remaining,
            "withholdKa": state.withhold_ka,
            "rejectHandshakes": state.reject_handshakes,
            "wsDelayMs": state.ws_delay.as_millis() as u64,
            "answerRemaining": state.answer_remaining,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_resets_then_failures() {
        let faults = Faults::default();
        faults.reset_next(1);
        faults.fail_next(2, 429, Some(3));
        assert_eq!(faults.next_action(), FaultAction::Reset);
        let spec = FailSpec {
            status: 429,
            retry_after: Some(3),
        };
        assert_eq!(faults.next_action(), FaultAction::Fail(spec.clone()));
        assert_eq!(faults.next_action(), FaultAction::Fail(spec));
        assert_eq!(faults.next_action(), FaultAction::Proceed);
    }

    #[test]
    fn answers_the_given_body_for_the_next_requests() {
        let faults = Faults::default();
        let request: FaultRequest =
            serde_json::from_str(r#"{"answerNext":2,"answer":"{\"data\":"}"#).unwrap();
        faults.apply(&request);
        let answer = FaultAction::Answer(r#"{"data":"#.into());
        assert_eq!(faults.next_action(), answer);
        assert_eq!(faults.next_action(), answer);
        assert_eq!(faults.next_action(), FaultAction::Proceed);
    }

    #[test]
    fn control_documents_parse_and_reject_unknown_keys() {
        let r: FaultRequest =
            serde_json::from_str(r#"{"failNext":1,"fail":{"status":503},"latencyMs":5}"#).unwrap();
        assert_eq!(r.fail_next, Some(1));
        assert!(serde_json::from_str::<FaultRequest>(r#"{"failnext":1}"#).is_err());
    }
}
