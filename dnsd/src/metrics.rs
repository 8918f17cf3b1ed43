//! Counters and gauges in Prometheus text format, plus `/healthz` and
//! `/readyz`. Counting is a relaxed atomic add on a counter owned by the
//! counting thread (UDP workers each have their own block), so the query
//! path never contends on a shared cache line.

use std::{
    fmt::Write as _,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};

use crate::{
    store::{Store, now_millis},
    sync::SyncStatus,
    update::reply::Reply,
};

/// Answer kinds counted per DNS query.
#[derive(Debug, Clone, Copy)]
pub enum Answered {
    NoError = 0,
    NxDomain = 1,
    Refused = 2,
    Other = 3,
}

const ANSWER_NAMES: [&str; 4] = ["noerror", "nxdomain", "refused", "other"];

/// Classes of UDP answers that response rate limiting accounts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RrlClass {
    Positive = 0,
    NoData = 1,
    NxDomain = 2,
    /// REFUSED and other error codes.
    Error = 3,
    /// Longer than `dns.rrl.large_size`, whatever the code.
    Large = 4,
}

const RRL_CLASS_NAMES: [&str; 5] = ["positive", "nodata", "nxdomain", "error", "large"];

/// What response rate limiting did with an answer over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Dropped = 0,
    /// Sent truncated (TC) instead.
    Slipped = 1,
    /// Dry run: answered, only counted.
    DryRun = 2,
}

/// What became of a zone transfer request.
#[derive(Debug, Clone, Copy)]
pub enum Transfer {
    /// The whole zone (AXFR, or IXFR beyond the history).
    Full = 0,
    /// IXFR from the history, or the SOA alone to a current client.
    Incremental = 1,
    /// REFUSED or NOTAUTH: the ACL, TSIG, an unknown zone.
    Refused = 2,
    /// SERVFAIL: too many at once, or the store failed.
    Failed = 3,
}

const TRANSFER_NAMES: [&str; 4] = ["full", "incremental", "refused", "failed"];

/// What became of one NOTIFY sent to a secondary.
#[derive(Debug, Clone, Copy)]
pub enum Notified {
    Sent = 0,
    Acknowledged = 1,
    Refused = 2,
    /// No answer after every retry.
    Unanswered = 3,
}

const NOTIFY_NAMES: [&str; 4] = ["sent", "acknowledged", "refused", "unanswered"];

const UPDATE_CODES: [&str; 12] = [
    "good", "nochg", "badauth", "!yours", "notfqdn", "nohost", "fatal", "numhost", "abuse",
    "!donator", "dnserr", "911",
];

/// One thread's DNS counters; padded so two workers never share a line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct DnsCounters {
    answers: [AtomicU64; 4],
    truncated: AtomicU64,
    slow_path: AtomicU64,
    /// Indexed by [`Limited`], then [`RrlClass`].
    rrl: [[AtomicU64; 5]; 3],
}

impl DnsCounters {
    pub fn answered(&self, kind: Answered) {
        self.answers[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn truncated(&self) {
        self.truncated.fetch_add(1, Ordering::Relaxed);
    }

    pub fn slow_path(&self) {
        self.slow_path.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rrl_limited(&self, class: RrlClass, action: Limited) {
        self.rrl[action as usize][class as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// Process-wide metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    dns: Mutex<Vec<Arc<DnsCounters>>>,
    updates: [AtomicU64; 12],
    transfers: [AtomicU64; 4],
    notifies: [AtomicU64; 4],
}

impl Metrics {
    /// A counter block for one more counting thread.
    pub fn dns_counters(&self) -> Arc<DnsCounters> {
        let counters = Arc::new(DnsCounters::default());
        self.dns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(counters.clone());
        counters
    }

    pub fn update_answered(&self, reply: &Reply) {
        if let Some(i) = UPDATE_CODES.iter().position(|code| *code == reply.code()) {
            self.updates[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn transfer(&self, what: Transfer) {
        self.transfers[what as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn notified(&self, what: Notified) {
        self.notifies[what as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text exposition.
    pub fn render(&self, store: &Store) -> String {
        let mut out = String::new();
        let blocks = self.dns.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let sum = |f: &dyn Fn(&DnsCounters) -> u64| blocks.iter().map(|b| f(b)).sum::<u64>();
        out.push_str("# HELP spdyn_dns_answers_total DNS answers sent, by result.\n");
        out.push_str("# TYPE spdyn_dns_answers_total counter\n");
        for (i, name) in ANSWER_NAMES.iter().enumerate() {
            let value = sum(&|b| b.answers[i].load(Ordering::Relaxed));
            let _ = writeln!(out, "spdyn_dns_answers_total{{rcode=\"{name}\"}} {value}");
        }
        counter(
            &mut out,
            "spdyn_dns_truncated_total",
            "UDP answers sent truncated (TC).",
            sum(&|b| b.truncated.load(Ordering::Relaxed)),
        );
        counter(
            &mut out,
            "spdyn_dns_slow_path_total",
            "UDP queries answered by the full (hickory) path.",
            sum(&|b| b.slow_path.load(Ordering::Relaxed)),
        );
        for (action, name, help) in [
            (
                Limited::Dropped,
                "dropped",
                "UDP answers over the rate limit, dropped",
            ),
            (
                Limited::Slipped,
                "slipped",
                "UDP answers over the rate limit, sent truncated (TC)",
            ),
            (
                Limited::DryRun,
                "dry_run",
                "UDP answers over the rate limit, sent (dry run)",
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP spdyn_dns_rrl_{name}_total {help}, by class.\n# TYPE spdyn_dns_rrl_{name}_total counter"
            );
            for (class, class_name) in RRL_CLASS_NAMES.iter().enumerate() {
                let value = sum(&|b| b.rrl[action as usize][class].load(Ordering::Relaxed));
                let _ = writeln!(
                    out,
                    "spdyn_dns_rrl_{name}_total{{class=\"{class_name}\"}} {value}"
                );
            }
        }
        labelled(
            &mut out,
            "spdyn_updates_total",
            "Update answers per host, by code.",
            "code",
            &UPDATE_CODES,
            &self.updates,
        );
        labelled(
            &mut out,
            "spdyn_xfr_total",
            "Zone transfer requests, by result.",
            "result",
            &TRANSFER_NAMES,
            &self.transfers,
        );
        labelled(
            &mut out,
            "spdyn_notify_total",
            "NOTIFY messages to secondaries, by outcome.",
            "outcome",
            &NOTIFY_NAMES,
            &self.notifies,
        );
        gauge(
            &mut out,
            "spdyn_names",
            "Names in the DNS index.",
            store.index().len() as u64,
        );
        gauge(
            &mut out,
            "spdyn_store_healthy",
            "1 while the store accepts changes.",
            u64::from(store.is_healthy()),
        );
        gauge(
            &mut out,
            "spdyn_store_disk_bytes",
            "Bytes the sled database takes on disk.",
            store.size_on_disk(),
        );
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

/// A counter with one label, a series per value.
fn labelled(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    values: &[&str],
    counts: &[AtomicU64],
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (value, count) in values.iter().zip(counts) {
        let count = count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

#[derive(Clone)]
struct OpsState {
    metrics: Arc<Metrics>,
    store: Store,
    sync: Option<Arc<SyncStatus>>,
}

/// `/metrics`, `/healthz` (the process answers) and `/readyz` (it can take
/// changes) for monitoring and load balancers.
pub fn router(metrics: Arc<Metrics>, store: Store, sync: Option<Arc<SyncStatus>>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(OpsState {
            metrics,
            store,
            sync,
        })
}

async fn metrics_text(State(state): State<OpsState>) -> impl IntoResponse {
    let mut text = state.metrics.render(&state.store);
    if let Some(sync) = &state.sync {
        render_sync(&mut text, sync, &state.store);
    }
    ([("content-type", "text/plain; version=0.0.4")], text)
}

fn render_sync(out: &mut String, sync: &SyncStatus, store: &Store) {
    let flag = |b: bool| u64::from(b);
    let applied_at = sync.applied_at_ms.load(Ordering::Relaxed);
    let age = match applied_at {
        0 => 0,
        at => now_millis().saturating_sub(at) / 1000,
    };
    gauge(
        out,
        "spdyn_sync_connected",
        "1 while Postgres is reachable.",
        flag(sync.connected.load(Ordering::Relaxed)),
    );
    gauge(
        out,
        "spdyn_sync_bootstrapped",
        "1 once the first snapshot is applied.",
        flag(sync.is_bootstrapped()),
    );
    gauge(
        out,
        "spdyn_feed_applied_seq",
        "Last change-feed sequence applied.",
        sync.applied_seq.load(Ordering::Relaxed),
    );
    gauge(
        out,
        "spdyn_feed_lag_entries",
        "Announced feed entries not applied yet.",
        sync.lag(),
    );
    gauge(
        out,
        "spdyn_feed_applied_age_seconds",
        "Age of the last applied feed entry (0 = none yet).",
        age,
    );
    gauge(
        out,
        "spdyn_outbox_pending",
        "Host states waiting to be written to Postgres.",
        store.outbox_len() as u64,
    );
}

/// Ready: the store takes changes and, on a fed node, the first snapshot is in.
async fn ready(State(state): State<OpsState>) -> impl IntoResponse {
    if !state.store.is_healthy() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "store failed; restart needed\n",
        )
    } else if state.sync.as_ref().is_some_and(|s| !s.is_bootstrapped()) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first snapshot from postgres\n",
        )
    } else {
        (StatusCode::OK, "ready\n")
    }
}
