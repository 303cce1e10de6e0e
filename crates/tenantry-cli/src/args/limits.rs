//! `tenantry tenants set-limits`: a tenant's own limits, flag by flag.

use std::num::NonZeroU32;
use std::time::Duration;

use clap::Args;
use tenantry_postgres::LimitOverrides;

use super::TenantArgs;

/// `tenantry tenants set-limits`: the limits given replace the tenant's own
/// limits of before; a limit not given is its tier's.
#[derive(Debug, Args)]
pub(crate) struct LimitsArgs {
    /// The tenant.
    #[command(flatten)]
    pub(crate) tenant: TenantArgs,
    /// The statement timeout (`500ms`, `30s`, `2m`, `1h`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// The most statements at once, in each application process.
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// The statements per second, in each application process.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<NonZeroU32>,
    /// The burst allowed above the rate (default: the rate).
    #[arg(long, value_name = "N", requires = "rate")]
    burst: Option<NonZeroU32>,
    /// The share of its server's pool it may hold at once (above 0, at most 1).
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    share: Option<f64>,
    /// How long a statement over its rate or concurrency waits for its turn.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    queue: Option<Duration>,
    /// The timeout of its batch work.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    batch_timeout: Option<Duration>,
    /// Allows batch work, whatever its tier says.
    #[arg(long, conflicts_with = "no_batch")]
    batch: bool,
    /// Refuses batch work, whatever its tier says.
    #[arg(long)]
    no_batch: bool,
}

impl LimitsArgs {
    /// The overrides the flags give (none: the tier's limits alone).
    pub(crate) fn overrides(&self) -> LimitOverrides {
        let mut overrides = LimitOverrides::default();
        if let Some(timeout) = self.timeout {
            overrides = overrides.statement_timeout(timeout);
        }
        if let Some(concurrency) = self.concurrency {
            overrides = overrides.concurrent_statements(concurrency);
        }
        if let Some(rate) = self.rate {
            overrides = overrides.rate(rate, self.burst.unwrap_or(rate));
        }
        if let Some(share) = self.share {
            overrides = overrides.connection_share(share);
        }
        if let Some(queue) = self.queue {
            overrides = overrides.queue(queue);
        }
        if let Some(timeout) = self.batch_timeout {
            overrides = overrides.batch_timeout(timeout);
        }
        if self.batch || self.no_batch {
            overrides = overrides.allow_batch(self.batch);
        }
        overrides
    }
}

/// A duration with its unit: `500ms`, `30s`, `1.5m`, `2h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let unit_at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(unit_at);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("{text:?} needs a unit: ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

/// A share of a pool: above 0, at most 1.
fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(share),
        _ => Err(format!("{text:?} is not a share above 0 and at most 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_with_their_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["30", "s", "30 parsecs", "-1s", "1..2s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_shares_of_a_pool() {
        assert_eq!(parse_share("0.25"), Ok(0.25));
        assert_eq!(parse_share("1"), Ok(1.0));
        for bad in ["0", "1.5", "-0.5", "half"] {
            assert!(parse_share(bad).is_err(), "{bad}");
        }
    }
}
