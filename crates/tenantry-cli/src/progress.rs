//! A progress bar over migration targets, one over the steps of a
//! provisioning, a count of the rows an erasure deleted, and one of the
//! rows a relocation copied, drawn on
//! standard error only when it is a terminal and the output is not JSON
//! (never into pipes, logs or JSON consumers).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use tenantry_ops::migrate::TargetReport;
use tenantry_ops::{ProvisionStep, RelocationProgress};

/// Counts finished targets.
pub(crate) struct Progress {
    bar: ProgressBar,
    failed: AtomicUsize,
}

impl Progress {
    /// Whether a bar would be drawn.
    pub(crate) fn wanted() -> bool {
        std::io::stderr().is_terminal()
    }

    /// A bar expecting about `estimate` targets (it grows if there are more),
    /// or a hidden one when standard error is not a terminal.
    pub(crate) fn new(estimate: u64) -> Self {
        if !Self::wanted() {
            return Self {
                bar: ProgressBar::hidden(),
                failed: AtomicUsize::new(0),
            };
        }
        let bar = ProgressBar::new(estimate.max(1));
        bar.set_style(
            ProgressStyle::with_template("{elapsed:>4} [{bar:40}] {pos}/{len} targets  {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Self {
            bar,
            failed: AtomicUsize::new(0),
        }
    }

    /// Records one finished target.
    pub(crate) fn target_done(&self, report: &TargetReport) {
        if self
            .bar
            .length()
            .is_some_and(|length| self.bar.position() >= length)
        {
            self.bar.inc_length(1);
        }
        self.bar.inc(1);
        if report.outcome.is_error() {
            let failed = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(format!("{failed} failed"));
        }
    }

    /// Removes the bar before the summary is printed.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `bar` styled with `template` and ticking on its own (its elapsed time
/// moves during a long step), or a hidden bar when standard error is not a
/// terminal or the output is `json`.
fn ticking(json: bool, bar: impl FnOnce() -> ProgressBar, template: &str) -> ProgressBar {
    if json || !Progress::wanted() {
        return ProgressBar::hidden();
    }
    let bar = bar();
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The steps of a provisioning done, with the last one's name.
pub(crate) struct Steps {
    bar: ProgressBar,
}

impl Steps {
    /// A bar of `total` steps, or a hidden one.
    pub(crate) fn new(total: u64, json: bool) -> Self {
        Self {
            bar: ticking(
                json,
                || ProgressBar::new(total),
                "{elapsed:>4} [{bar:40}] {pos}/{len} steps  {msg}",
            ),
        }
    }

    /// Records `step` done.
    pub(crate) fn done(&self, step: ProvisionStep) {
        self.bar.set_message(step.describe());
        self.bar.inc(1);
    }

    /// Removes the bar before the outcome is printed.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A count of the rows an erasure deleted.
pub(crate) struct RowsDeleted {
    bar: ProgressBar,
}

impl RowsDeleted {
    /// A spinner with the count, or a hidden one.
    pub(crate) fn new(json: bool) -> Self {
        Self {
            bar: ticking(
                json,
                ProgressBar::new_spinner,
                "{elapsed:>4} {spinner} {pos} rows deleted",
            ),
        }
    }

    /// Counts `rows` more.
    pub(crate) fn deleted(&self, rows: u64) {
        self.bar.inc(rows);
    }

    /// Removes the spinner before the outcome is printed.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The rows a relocation copied, per table.
pub(crate) struct RowsCopied {
    bar: ProgressBar,
}

impl RowsCopied {
    /// A bar of the rows to copy (known once the tables are), or a hidden one.
    pub(crate) fn new(json: bool) -> Self {
        Self {
            bar: ticking(
                json,
                || ProgressBar::new(0),
                "{elapsed:>4} [{bar:40}] {pos}/{len} rows  {msg}",
            ),
        }
    }

    /// Shows `event`: a step reached, the tables to copy, one copied.
    pub(crate) fn report(&self, event: &RelocationProgress) {
        match event {
            RelocationProgress::Step(step) => self.bar.set_message(step.to_string()),
            RelocationProgress::Tables(tables) => {
                let rows: i64 = tables.iter().map(|(_, rows)| rows).sum();
                self.bar.set_length(u64::try_from(rows).unwrap_or(0));
                self.bar.set_position(0);
            }
            RelocationProgress::Copied { table, rows } => {
                // The copy under the fence goes again over what was copied.
                if self.bar.position() + rows > self.bar.length().unwrap_or(0) {
                    self.bar.inc_length(*rows);
                }
                self.bar.inc(*rows);
                self.bar.set_message(format!("{table} copied"));
            }
            _ => {}
        }
    }

    /// Removes the bar before the outcome is printed.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
