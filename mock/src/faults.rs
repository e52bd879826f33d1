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
}

#[derive(Debug, Default)]
struct State {
    fail_remaining: u32,
    fail: Option<FailSpec>,
    latency: Duration,
    reset_remaining: u32,
}

/// What to do with one incoming GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    Proceed,
    Fail(FailSpec),
    Reset,
}

/// The live fault settings of one server.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
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
    fn control_documents_parse_and_reject_unknown_keys() {
        let r: FaultRequest =
            serde_json::from_str(r#"{"failNext":1,"fail":{"status":503},"latencyMs":5}"#).unwrap();
        assert_eq!(r.fail_next, Some(1));
        assert!(serde_json::from_str::<FaultRequest>(r#"{"failnext":1}"#).is_err());
    }
}
