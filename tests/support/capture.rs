//! What tenantry reports, captured for assertions: a `tracing` layer that
//! keeps every span (its fields, recorded late ones included, and its
//! parent) and every event, and `metrics-util`'s debugging recorder. Both
//! are installed once per test binary; the suite's tests take turns (see
//! [`turn`]) so that each one reads only what it caused.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, OnceLock};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as it closed.
#[derive(Debug, Clone)]
pub struct Span {
    pub name: &'static str,
    pub id: u64,
    pub parent: Option<u64>,
    pub fields: BTreeMap<&'static str, String>,
}

impl Span {
    /// The value of `field`, if recorded.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// One metric as the recorder holds it: name, labels, value.
#[derive(Debug)]
pub struct Metric {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: DebugValue,
}

#[derive(Default)]
struct Captured {
    open: BTreeMap<u64, Span>,
    closed: Vec<Span>,
    events: Vec<BTreeMap<&'static str, String>>,
}

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

struct CaptureLayer;

fn captured() -> MutexGuard<'static, Captured> {
    static CAPTURED: OnceLock<Mutex<Captured>> = OnceLock::new();
    CAPTURED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for CaptureLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.id().into_u64());
        let mut span = Span {
            name: attrs.metadata().name(),
            id: id.into_u64(),
            parent,
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut span.fields));
        captured().open.insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(span) = captured().open.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        captured().events.push(fields);
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut captured = captured();
        if let Some(span) = captured.open.remove(&id.into_u64()) {
            captured.closed.push(span);
        }
    }
}

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(CaptureLayer);
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("one recorder");
        snapshotter
    })
}

/// This test's turn: the subscriber and recorder are installed, and what
/// earlier tests left is cleared. Hold it for the whole test.
pub async fn turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let turn = TURN.lock().await;
    snapshotter().snapshot();
    let mut captured = captured();
    captured.closed.clear();
    captured.events.clear();
    turn
}

/// Forgets what was captured so far (the setup's spans and metrics).
pub fn clear() {
    snapshotter().snapshot();
    let mut captured = captured();
    captured.closed.clear();
    captured.events.clear();
}

/// The spans that closed since the test's turn began.
pub fn spans() -> Vec<Span> {
    captured().closed.clone()
}

/// The fields of every event since the test's turn began.
pub fn events() -> Vec<BTreeMap<&'static str, String>> {
    captured().events.clone()
}

/// The metrics recorded since the last call: the recorder keeps every
/// key it saw, so histograms without values and counters at zero since
/// then are left out.
pub fn metrics() -> Vec<Metric> {
    snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(_, _, _, value)| match value {
            DebugValue::Histogram(values) => !values.is_empty(),
            DebugValue::Counter(count) => *count > 0,
            DebugValue::Gauge(_) => true,
        })
        .map(|(key, _, _, value)| Metric {
            name: key.key().name().to_owned(),
            labels: key
                .key()
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect(),
            value,
        })
        .collect()
}
