//! One tenant's gate: its rate and its concurrent statements, checked before
//! a connection is taken.
//!
//! A statement within both passes with a few atomic operations (the
//! bucket's compare-and-swap, the semaphore's); one over them waits its turn
//! up to the tier's queue, the semaphore serving waiters in order, then is
//! refused with a typed error.

use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tenantry_query::TenantId;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::admission::Admission;
use super::tier::Limits;
use super::work::Work;
use crate::Error;

/// The state that enforces one tenant's limits in this process.
#[derive(Debug)]
pub(crate) struct Gate {
    tenant: TenantId,
    limits: Limits,
    /// The tenant's concurrent slots, when capped.
    slots: Option<(Arc<Semaphore>, usize)>,
    rate: Option<DefaultDirectRateLimiter>,
}

impl Gate {
    /// The gate of `tenant` with `limits`, on a pool of `pool_size`.
    pub(crate) fn new(tenant: TenantId, limits: Limits, pool_size: usize) -> Self {
        let slots = limits
            .concurrency_on(pool_size)
            .map(|cap| (Arc::new(Semaphore::new(cap)), cap));
        let rate = limits.rate.map(|rate| {
            RateLimiter::direct(Quota::per_second(rate.per_second).allow_burst(rate.burst))
        });
        Self {
            tenant,
            limits,
            slots,
            rate,
        }
    }

    /// The limits the gate enforces.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the gate keeps state (a rate or a cap), which must outlive
    /// the route it was made for.
    pub(crate) fn is_stateful(&self) -> bool {
        self.slots.is_some() || self.rate.is_some()
    }

    /// Whether the gate enforces `limits` on a pool of `pool_size`.
    pub(crate) fn enforces(&self, limits: &Limits, pool_size: usize) -> bool {
        self.limits == *limits
            && self.slots.as_ref().map(|(_, cap)| *cap) == limits.concurrency_on(pool_size)
    }

    /// Lets one statement of `work` through. A request passes at once or
    /// after waiting its turn up to the tier's queue, and reads no clock
    /// within its limits. Batch work passes if the tier allows it: the
    /// batch connections of its server bound it, not the requests' limits.
    pub(crate) async fn admit(&self, work: Work) -> Result<Admission, Error> {
        if work == Work::Batch {
            return self.admit_batch();
        }
        let mut deadline = None;
        if let Some(rate) = &self.rate {
            self.within_rate(rate, &mut deadline).await?;
        }
        let slot = match &self.slots {
            None => None,
            Some((slots, cap)) => Some(match slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => {
                    let deadline = *deadline.get_or_insert_with(|| self.deadline());
                    tokio::time::timeout_at(deadline, slots.clone().acquire_owned())
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .ok_or(Error::TooManyStatements {
                            tenant: self.tenant,
                            limit: *cap,
                            waited: self.limits.queue,
                        })?
                }
            }),
        };
        Ok(Admission {
            tenant: self.tenant,
            statement_timeout: self.limits.statement_timeout,
            _slot: slot,
        })
    }

    /// Lets one statement of batch work through if the tier allows it.
    fn admit_batch(&self) -> Result<Admission, Error> {
        if !self.limits.batch {
            return Err(Error::BatchNotAllowed {
                tenant: self.tenant,
            });
        }
        Ok(Admission {
            tenant: self.tenant,
            statement_timeout: self.limits.batch_timeout,
            _slot: None,
        })
    }

    /// The end of the queue for a statement that must wait from now.
    fn deadline(&self) -> Instant {
        Instant::now() + self.limits.queue
    }

    /// Takes a cell of the rate's bucket, waiting for one until the
    /// `deadline` (set at the first refusal) if it refills by then.
    async fn within_rate(
        &self,
        rate: &DefaultDirectRateLimiter,
        deadline: &mut Option<Instant>,
    ) -> Result<(), Error> {
        loop {
            let Err(refused) = rate.check() else {
                return Ok(());
            };
            let retry_after = refused.wait_time_from(rate.clock().now());
            let retry_after = retry_after.max(Duration::from_millis(1));
            let deadline = *deadline.get_or_insert_with(|| self.deadline());
            if Instant::now() + retry_after > deadline {
                return Err(Error::RateLimited {
                    tenant: self.tenant,
                    retry_after,
                });
            }
            tokio::time::sleep(retry_after).await;
        }
    }
}
