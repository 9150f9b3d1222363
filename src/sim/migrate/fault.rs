//! Failures injected into a migration, as plain data, and what each one triggers.
//!
//! | fault | reaction |
//! |---|---|
//! | `unconvertible_rows` | the records fail; past `error_budget_records` the job stops (rollback) |
//! | `batch_timeout` | the batch is retried up to `max_retries`, then the job stops |
//! | `worker_crash` | the worker's batch is delivered again (copy batch or change batch) |
//! | `lag_spike` | the change applier stalls: the copy throttles, the cut-over is postponed |
//! | `cutover_failure` | the routing switch fails: automatic rollback |
//! | `error_rate_spike` | the application's requests fail at `percent`: above `error_rate_max_pct` the cut-over is postponed; while a blue-green job watches the target after its cut-over, it rolls back |

use serde::{Deserialize, Serialize};

use super::config::{check, invalid, ConfigError};

/// Most faults in one scenario.
pub const FAULTS_MAX: usize = 1_000;

/// One injected failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Fault {
    /// Root rows of `table` whose key is a multiple of `one_in` do not convert.
    UnconvertibleRows {
        /// A collection's root table.
        table: String,
        /// Every `one_in`-th key fails (1 ..= 1 000 000).
        one_in: u64,
    },
    /// Copy batch number `batch` (0-based) times out its first `times` attempts.
    BatchTimeout {
        /// Batch number.
        batch: u64,
        /// Attempts that time out (1 ..= 1 000).
        times: u32,
    },
    /// Worker `worker` crashes at `at_ms`; during the change stream the applier crashes.
    WorkerCrash {
        /// Simulated time, in ms.
        at_ms: u64,
        /// Worker number (taken modulo the worker count).
        worker: u32,
    },
    /// The change applier stalls from `at_ms` for `duration_ms`.
    LagSpike {
        /// Start, in simulated ms.
        at_ms: u64,
        /// Length, in ms (1 ..= 3 600 000).
        duration_ms: u64,
    },
    /// The routing switch at cut-over fails.
    CutoverFailure,
    /// The application's requests fail at `percent` % from `at_ms` for `duration_ms`, on
    /// whichever store it is routed to.
    ErrorRateSpike {
        /// Start, in simulated ms.
        at_ms: u64,
        /// Length, in ms (1 ..= 3 600 000).
        duration_ms: u64,
        /// Requests that fail, in percent (1 ..= 100).
        percent: u32,
    },
}

impl Fault {
    /// Check the ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            Fault::UnconvertibleRows { table, one_in } => {
                if table.is_empty() {
                    return Err(invalid("faults.table", "name a table"));
                }
                check("faults.one_in", *one_in, 1, 1_000_000)
            }
            Fault::BatchTimeout { times, .. } => check("faults.times", (*times).into(), 1, 1_000),
            Fault::WorkerCrash { at_ms, .. } => check("faults.at_ms", *at_ms, 0, 86_400_000),
            Fault::LagSpike { at_ms, duration_ms } => {
                check("faults.at_ms", *at_ms, 0, 86_400_000)?;
                check("faults.duration_ms", *duration_ms, 1, 3_600_000)
            }
            Fault::CutoverFailure => Ok(()),
            Fault::ErrorRateSpike {
                at_ms,
                duration_ms,
                percent,
            } => {
                check("faults.at_ms", *at_ms, 0, 86_400_000)?;
                check("faults.duration_ms", *duration_ms, 1, 3_600_000)?;
                check("faults.percent", (*percent).into(), 1, 100)
            }
        }
    }
}

/// The faults of a run, looked up by the job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    faults: Vec<Fault>,
}

impl FaultPlan {
    /// Validate and keep `faults`.
    pub fn new(faults: Vec<Fault>) -> Result<FaultPlan, ConfigError> {
        check("faults (count)", faults.len() as u64, 0, FAULTS_MAX as u64)?;
        for f in &faults {
            f.validate()?;
        }
        Ok(FaultPlan { faults })
    }

    /// All faults.
    pub fn all(&self) -> &[Fault] {
        &self.faults
    }

    /// Whether root row `key` of `table` is made unconvertible.
    pub fn unconvertible(&self, table: &str, key: i64) -> bool {
        self.faults.iter().any(|f| match f {
            Fault::UnconvertibleRows { table: t, one_in } => {
                t == table && key.rem_euclid(*one_in as i64) == 0
            }
            _ => false,
        })
    }

    /// Whether attempt `attempt` (0-based) of batch `batch` times out.
    pub fn times_out(&self, batch: u64, attempt: u32) -> bool {
        self.faults.iter().any(|f| match f {
            Fault::BatchTimeout { batch: b, times } => *b == batch && attempt < *times,
            _ => false,
        })
    }

    /// The application's error rate at `at_ms`, in percent (the largest spike then, or 0),
    /// and when the spikes making it end, in ms.
    pub fn error_rate(&self, at_ms: f64) -> (u32, f64) {
        let mut out = (0, at_ms);
        for f in &self.faults {
            if let Fault::ErrorRateSpike {
                at_ms: a,
                duration_ms: d,
                percent,
            } = f
            {
                let (a, b) = (*a as f64, (*a + *d) as f64);
                if a <= at_ms && at_ms < b {
                    out = (out.0.max(*percent), out.1.max(b));
                }
            }
        }
        out
    }

    /// Whether the cut-over's routing switch fails.
    pub fn cutover_fails(&self) -> bool {
        self.faults.contains(&Fault::CutoverFailure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_validate_and_answer() {
        let f: Vec<Fault> = serde_json::from_str(
            r#"[{"kind": "unconvertible_rows", "table": "customers", "one_in": 10},
                {"kind": "batch_timeout", "batch": 2, "times": 1},
                {"kind": "cutover_failure"}]"#,
        )
        .unwrap();
        let p = FaultPlan::new(f).unwrap();
        assert!(p.unconvertible("customers", 20) && !p.unconvertible("customers", 21));
        assert!(!p.unconvertible("orders", 20));
        assert!(p.times_out(2, 0) && !p.times_out(2, 1) && !p.times_out(3, 0));
        assert!(p.cutover_fails());
        let bad = vec![Fault::LagSpike {
            at_ms: 1,
            duration_ms: 0,
        }];
        let e = FaultPlan::new(bad).unwrap_err().to_string();
        assert_eq!(e, "faults.duration_ms = 0 is out of range (1 ..= 3600000)");
        assert!(serde_json::from_str::<Fault>(r#"{"kind": "meteor"}"#).is_err());
    }
}
