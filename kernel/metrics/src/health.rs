//! Readiness: named gates plus per-service reports, rendered by `GET /readyz`.
//!
//! A [`HealthState`] is ready when **every gate is true** and **at least one service has
//! reported, all reports being healthy**. The latter is the derived gate
//! [`GATE_SERVICES_OK`]; the former always includes [`GATE_CONFIG_LOADED`], and hosts add
//! their own with [`HealthState::register_gate`].
//!
//! ```
//! use ron_metrics::{HealthState, GATE_CONFIG_LOADED};
//! let h = HealthState::new();
//! assert_eq!(h.snapshot().missing, ["config_loaded", "services_ok"]);
//! h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
//! assert!(!h.is_ready()); // no service has reported yet
//! h.set_service("bus", true);
//! assert!(h.is_ready());
//! h.set_service("db", false); // any unhealthy service degrades readiness
//! assert_eq!(h.snapshot().missing, ["services_ok"]);
//! ```
//!
//! `since` is the instant the current readiness value (ready or not) began; changes that do
//! not flip readiness keep it.
//!
//! Errors a host wants seen without changing readiness (a config reload that failed while
//! the last good config stays applied) go in [`HealthState::set_error`]; `/readyz` lists
//! them under `errors` until [`HealthState::clear_error`]:
//!
//! ```
//! use ron_metrics::{HealthState, ReadinessResponse};
//! let h = HealthState::new();
//! h.set_error("config", "demo.toml: missing field `amnesia`");
//! let body = ReadinessResponse::from_snapshot(&h.snapshot(), 5).to_json();
//! assert!(body.ends_with(r#""errors":{"config":"demo.toml: missing field `amnesia`"}}"#));
//! h.clear_error("config");
//! assert!(h.snapshot().errors.is_empty());
//! ```

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Gate: the host's configuration has been loaded and validated.
pub const GATE_CONFIG_LOADED: &str = "config_loaded";
/// Derived gate: at least one service reported and every reported service is healthy.
pub const GATE_SERVICES_OK: &str = "services_ok";

/// Longest error message kept by [`HealthState::set_error`] (bytes; longer ones are cut at a
/// character boundary and end in `...`), so one bad input cannot bloat every `/readyz`.
pub const MAX_ERROR_LEN: usize = 512;

/// A readiness update that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// The gate was never registered (a typo would otherwise keep a host unready forever).
    #[error("unknown readiness gate {0:?}; register it with HealthState::register_gate first")]
    UnknownGate(String),
    /// `services_ok` follows the service reports; it cannot be set directly.
    #[error(
        "readiness gate \"services_ok\" is derived; report services with HealthState::set_service"
    )]
    DerivedGate,
}

/// Readiness at one instant (see [`HealthState::snapshot`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSnapshot {
    /// Every gate true and services healthy.
    pub ready: bool,
    /// Names of the gates that are not satisfied, in registration order
    /// (`services_ok` last).
    pub missing: Vec<String>,
    /// When the current `ready` value began.
    pub since: OffsetDateTime,
    /// The last report of every service.
    pub services: BTreeMap<String, bool>,
    /// Errors reported with [`HealthState::set_error`], by source; they do not affect
    /// `ready`.
    pub errors: BTreeMap<String, String>,
}

impl HealthSnapshot {
    /// `since` formatted as RFC 3339 (UTC).
    pub fn since_rfc3339(&self) -> String {
        // Formatting a valid UTC OffsetDateTime as RFC 3339 fails only for years outside
        // 0..=9999, which a wall clock does not produce; fall back to the epoch.
        self.since
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
    }
}

#[derive(Debug)]
struct Inner {
    /// Gates in registration order; `config_loaded` first.
    gates: Vec<(String, bool)>,
    services: BTreeMap<String, bool>,
    errors: BTreeMap<String, String>,
    /// Readiness as of the last change, and when it began.
    ready: bool,
    since: OffsetDateTime,
}

impl Inner {
    fn services_ok(&self) -> bool {
        !self.services.is_empty() && self.services.values().all(|ok| *ok)
    }

    fn missing(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .gates
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(name, _)| name.clone())
            .collect();
        if !self.services_ok() {
            missing.push(GATE_SERVICES_OK.to_owned());
        }
        missing
    }

    /// Recomputes readiness after a change; moves `since` only when readiness flips.
    fn settle(&mut self) {
        let ready = self.gates.iter().all(|(_, ok)| *ok) && self.services_ok();
        if ready != self.ready {
            self.ready = ready;
            self.since = OffsetDateTime::now_utc();
        }
    }
}

/// Named readiness gates and service reports, shared by the host and the exposer.
#[derive(Debug)]
pub struct HealthState {
    inner: Mutex<Inner>,
}

impl Default for HealthState {
    fn default() -> Self {
        Self::new()
    }
}

impl HealthState {
    /// Not ready: `config_loaded` false and no service reported.
    pub fn new() -> Self {
        HealthState {
            inner: Mutex::new(Inner {
                gates: vec![(GATE_CONFIG_LOADED.to_owned(), false)],
                services: BTreeMap::new(),
                errors: BTreeMap::new(),
                ready: false,
                since: OffsetDateTime::now_utc(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is plain data updated atomically under the lock: a panic elsewhere
        // cannot leave it half-written, so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a gate (initially false). Registering an existing gate leaves it unchanged.
    pub fn register_gate(&self, name: &str) -> Result<(), HealthError> {
        if name == GATE_SERVICES_OK {
            return Err(HealthError::DerivedGate);
        }
        let mut inner = self.lock();
        if !inner.gates.iter().any(|(n, _)| n == name) {
            inner.gates.push((name.to_owned(), false));
            inner.settle();
        }
        Ok(())
    }

    /// Sets a registered gate.
    pub fn set_gate(&self, name: &str, ok: bool) -> Result<(), HealthError> {
        if name == GATE_SERVICES_OK {
            return Err(HealthError::DerivedGate);
        }
        let mut inner = self.lock();
        let gate = inner
            .gates
            .iter_mut()
            .find(|(n, _)| n == name)
            .ok_or_else(|| HealthError::UnknownGate(name.to_owned()))?;
        gate.1 = ok;
        inner.settle();
        Ok(())
    }

    /// Records a service's latest health report.
    pub fn set_service(&self, name: &str, ok: bool) {
        let mut inner = self.lock();
        inner.services.insert(name.to_owned(), ok);
        inner.settle();
    }

    /// Forgets a service (e.g. one that was shut down on purpose).
    pub fn remove_service(&self, name: &str) {
        let mut inner = self.lock();
        inner.services.remove(name);
        inner.settle();
    }

    /// Records `source`'s current error (replacing its previous one) for `/readyz` to
    /// show; readiness does not change. Messages over [`MAX_ERROR_LEN`] bytes are cut.
    pub fn set_error(&self, source: &str, message: impl Into<String>) {
        let mut message = message.into();
        if message.len() > MAX_ERROR_LEN {
            let mut cut = MAX_ERROR_LEN - 3;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str("...");
        }
        self.lock().errors.insert(source.to_owned(), message);
    }

    /// Clears `source`'s error, if any.
    pub fn clear_error(&self, source: &str) {
        self.lock().errors.remove(source);
    }

    /// Whether every gate is satisfied.
    pub fn is_ready(&self) -> bool {
        self.lock().ready
    }

    /// Readiness, the unmet gates and `since`, read under one lock.
    pub fn snapshot(&self) -> HealthSnapshot {
        let inner = self.lock();
        HealthSnapshot {
            ready: inner.ready,
            missing: inner.missing(),
            since: inner.since,
            services: inner.services.clone(),
            errors: inner.errors.clone(),
        }
    }
}

/// The `/readyz` JSON body (seed 003 INTEROP 2.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadinessResponse {
    /// True when not ready.
    pub degraded: bool,
    /// Unmet gates.
    pub missing: Vec<String>,
    /// Seconds a client should wait before retrying; 0 when ready.
    pub retry_after: u32,
    /// RFC 3339 instant the current state began.
    pub since: String,
    /// Errors the host reported ([`HealthState::set_error`]), by source; omitted when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
}

impl ReadinessResponse {
    /// Builds the body from a snapshot and the configured retry hint.
    pub fn from_snapshot(snapshot: &HealthSnapshot, retry_after_secs: u32) -> Self {
        ReadinessResponse {
            degraded: !snapshot.ready,
            missing: snapshot.missing.clone(),
            retry_after: if snapshot.ready { 0 } else { retry_after_secs },
            since: snapshot.since_rfc3339(),
            errors: snapshot.errors.clone(),
        }
    }

    /// Compact JSON, e.g. `{"degraded":false,"missing":[],"retry_after":0,"since":"..."}`.
    pub fn to_json(&self) -> String {
        // Serialising a struct of strings, bools and integers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_derived_gates_are_errors() {
        let h = HealthState::new();
        assert_eq!(
            h.set_gate("confg_loaded", true),
            Err(HealthError::UnknownGate("confg_loaded".into()))
        );
        assert_eq!(
            h.set_gate(GATE_SERVICES_OK, true),
            Err(HealthError::DerivedGate)
        );
        assert_eq!(
            h.register_gate(GATE_SERVICES_OK),
            Err(HealthError::DerivedGate)
        );
    }

    #[test]
    fn extra_gates_keep_registration_order_and_block_readiness() {
        let h = HealthState::new();
        h.register_gate("port_bound").unwrap();
        h.register_gate("port_bound").unwrap();
        h.set_service("svc", true);
        assert_eq!(h.snapshot().missing, ["config_loaded", "port_bound"]);
        h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
        h.set_gate("port_bound", true).unwrap();
        assert!(h.is_ready());
        h.remove_service("svc");
        assert_eq!(h.snapshot().missing, ["services_ok"]);
    }

    #[test]
    fn since_moves_only_when_readiness_flips() {
        let h = HealthState::new();
        let s0 = h.snapshot().since;
        h.set_service("a", true); // still not ready
        assert_eq!(h.snapshot().since, s0);
        h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
        let s1 = h.snapshot().since;
        assert!(s1 >= s0);
        h.set_service("b", true); // stays ready
        assert_eq!(h.snapshot().since, s1);
    }

    #[test]
    fn readiness_json_matches_the_contract() {
        let h = HealthState::new();
        let body = ReadinessResponse::from_snapshot(&h.snapshot(), 7).to_json();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["degraded"], true);
        assert_eq!(
            v["missing"],
            serde_json::json!(["config_loaded", "services_ok"])
        );
        assert_eq!(v["retry_after"], 7);
        let since = v["since"].as_str().unwrap();
        assert!(OffsetDateTime::parse(since, &Rfc3339).is_ok(), "{since}");
        h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
        h.set_service("a", true);
        let body = ReadinessResponse::from_snapshot(&h.snapshot(), 7).to_json();
        assert!(body.starts_with(r#"{"degraded":false,"missing":[],"retry_after":0,"since":""#));
    }

    #[test]
    fn errors_show_without_changing_readiness_and_long_ones_are_cut() {
        let h = HealthState::new();
        h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
        h.set_service("a", true);
        let since = h.snapshot().since;
        h.set_error(
            "config",
            "x".repeat(MAX_ERROR_LEN - 4) + "\u{e9}\u{e9}\u{e9}",
        );
        let snap = h.snapshot();
        assert!(snap.ready);
        assert_eq!(snap.since, since);
        let msg = &snap.errors["config"];
        assert!(msg.len() <= MAX_ERROR_LEN && msg.ends_with("..."), "{msg}");
        let body = ReadinessResponse::from_snapshot(&snap, 7).to_json();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["errors"]["config"], msg.as_str());
        h.set_error("config", "short");
        assert_eq!(h.snapshot().errors["config"], "short");
        h.clear_error("config");
        let body = ReadinessResponse::from_snapshot(&h.snapshot(), 7).to_json();
        assert!(!body.contains("errors"), "{body}");
    }
}
