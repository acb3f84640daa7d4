//! Counters of how connections ended, Envoy-style: cheap atomics, readable
//! at any time, with a name for every outcome.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use core::sync::atomic::{AtomicU64, Ordering};

use proxy_hdr::Version;

use super::failure::Failure;
use crate::Stage;

/// The number of header rules (for the per-rule counters).
const RULES: usize = proxy_hdr::Error::ALL.len();

/// A listener's counters.
///
/// Each accepted socket counts once among the header outcomes
/// (`accepted_v1`, `accepted_v2`, `accepted_local`, `no_header`, or a
/// rejection or failure in the header stage), and once more if a later
/// stage fails (`timed_out_tls`, `tls_error`, `peer_closed`, ...) or it is
/// handed out (`ready`). A health check that sends LOCAL and hangs up is
/// `accepted_local` and `peer_closed`.
#[derive(Debug, Default)]
pub struct Stats {
    accepted_v1: AtomicU64,
    accepted_v2: AtomicU64,
    accepted_local: AtomicU64,
    no_header: AtomicU64,
    not_proxy: AtomicU64,
    invalid: AtomicU64,
    invalid_rule: [AtomicU64; RULES],
    untrusted: AtomicU64,
    too_large: AtomicU64,
    unexpected_header: AtomicU64,
    timed_out_header: AtomicU64,
    timed_out_tls: AtomicU64,
    tls_error: AtomicU64,
    peer_closed: AtomicU64,
    io_error: AtomicU64,
    accept_errors: AtomicU64,
    ready: AtomicU64,
    in_setup: AtomicU64,
    open: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    pub(crate) fn accepted(&self, header: Option<&proxy_hdr::Header<'_>>) {
        match header {
            None => bump(&self.no_header),
            Some(h) if h.command() == proxy_hdr::Command::Local => bump(&self.accepted_local),
            Some(h) if h.version() == Version::V1 => bump(&self.accepted_v1),
            Some(_) => bump(&self.accepted_v2),
        }
    }

    pub(crate) fn failed(&self, failure: &Failure) {
        match failure {
            Failure::NotProxy { .. } => bump(&self.not_proxy),
            Failure::Invalid(rule) => {
                bump(&self.invalid);
                if let Some(i) = proxy_hdr::Error::ALL.iter().position(|r| r == rule)
                    && let Some(counter) = self.invalid_rule.get(i)
                {
                    bump(counter);
                }
            }
            Failure::Untrusted { .. } => bump(&self.untrusted),
            Failure::TooLarge { .. } => bump(&self.too_large),
            Failure::Unexpected { .. } => bump(&self.unexpected_header),
            Failure::TimedOut { stage: Stage::Header } => bump(&self.timed_out_header),
            Failure::TimedOut { stage: Stage::Handshake } => bump(&self.timed_out_tls),
            Failure::Tls(_) => bump(&self.tls_error),
            Failure::Closed { .. } => bump(&self.peer_closed),
            Failure::Io(_) => bump(&self.io_error),
        }
    }

    pub(crate) fn ready(&self) {
        bump(&self.ready);
    }

    pub(crate) fn accept_error(&self) {
        bump(&self.accept_errors);
    }

    pub(crate) fn gauge(&self, which: Gauge, up: bool) {
        let g = match which {
            Gauge::InSetup => &self.in_setup,
            Gauge::Open => &self.open,
        };
        if up {
            g.fetch_add(1, Ordering::Relaxed);
        } else {
            g.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Every counter by name, in a fixed order: outcomes, then rejections by
    /// header rule (`invalid.<rule code>`, only those seen), then gauges.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out: Vec<(String, u64)> = [
            ("accepted_v1", &self.accepted_v1),
            ("accepted_v2", &self.accepted_v2),
            ("accepted_local", &self.accepted_local),
            ("no_header", &self.no_header),
            ("rejected_not_proxy", &self.not_proxy),
            ("rejected_invalid", &self.invalid),
            ("rejected_untrusted", &self.untrusted),
            ("rejected_too_large", &self.too_large),
            ("rejected_unexpected_header", &self.unexpected_header),
            ("timed_out_header", &self.timed_out_header),
            ("timed_out_tls", &self.timed_out_tls),
            ("tls_error", &self.tls_error),
            ("peer_closed", &self.peer_closed),
            ("io_error", &self.io_error),
            ("accept_errors", &self.accept_errors),
            ("ready", &self.ready),
        ]
        .into_iter()
        .map(|(name, c)| (name.to_owned(), get(c)))
        .collect();
        for (rule, counter) in proxy_hdr::Error::ALL.iter().zip(&self.invalid_rule) {
            if get(counter) > 0 {
                out.push((format!("invalid.{}", rule.code()), get(counter)));
            }
        }
        out.push(("in_setup".to_owned(), get(&self.in_setup)));
        out.push(("open".to_owned(), get(&self.open)));
        out
    }

    /// One counter by its snapshot name (0 for a name never counted).
    pub fn get(&self, name: &str) -> u64 {
        self.snapshot().into_iter().find(|(n, _)| n == name).map_or(0, |(_, v)| v)
    }
}

/// The two gauges.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Gauge {
    InSetup,
    Open,
}
