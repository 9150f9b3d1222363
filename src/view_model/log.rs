//! The event log as the page lists it: the engine's log (commands, scheduled faults,
//! conflicts, leader changes, migration phases), the newest client writes from the recorded
//! history, and, once the user asks for a check, the consistency checker's findings with the
//! operations they involve. Every kind is bounded, and the page filters by kind.

use std::collections::BTreeSet;

use super::LogLine;
use crate::sim::checker::{check, CheckOptions, CheckReport, Finding, FindingKind, Outcome};
use crate::sim::repl::kv::key_name;
use crate::sim::{LogKind, SimTime, Simulation};

/// Lines kept per kind, newest first, so one busy kind never pushes the others out.
pub const LOG_LINES_PER_KIND: usize = 40;
/// Lines the page lists after filtering.
pub const LOG_LINES_SHOWN: usize = 30;
/// Findings of each kind the page keeps from one check.
pub const FINDINGS_PER_KIND: usize = 20;
/// Configurations the page's linearizability search may explore in one check, over all keys:
/// bounds the time one click costs (keys past it are reported as unknown).
pub const CHECK_STATES_MAX: u64 = 2_000_000;

/// The kinds the page can filter on: tag (the CSS class and the filter's id) and label.
pub const LOG_KINDS: [(&str, &str); 8] = [
    ("command", "Commands"),
    ("scheduled", "Scheduled faults"),
    ("conflict", "Conflicts"),
    ("leader", "Leaders"),
    ("migration", "Migration phases"),
    ("finding", "Checker findings"),
    ("write", "Writes"),
    ("info", "Other"),
];

/// Which kinds the log shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFilter {
    hidden: BTreeSet<&'static str>,
}

impl Default for LogFilter {
    /// Everything but single writes, which would fill the list within a second.
    fn default() -> Self {
        LogFilter {
            hidden: BTreeSet::from(["write"]),
        }
    }
}

impl LogFilter {
    pub fn shows(&self, kind: &str) -> bool {
        !self.hidden.contains(kind)
    }

    /// The filter with `kind` switched; an unknown kind changes nothing.
    pub fn toggled(&self, kind: &str) -> LogFilter {
        let mut out = self.clone();
        if let Some((tag, _)) = LOG_KINDS.iter().find(|(t, _)| *t == kind) {
            if !out.hidden.remove(tag) {
                out.hidden.insert(tag);
            }
        }
        out
    }
}

fn tag(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Command => "command",
        LogKind::Fault => "scheduled",
        LogKind::Info => "info",
        LogKind::Conflict => "conflict",
        LogKind::Leader => "leader",
        LogKind::Migration => "migration",
    }
}

fn line(at: SimTime, kind: &'static str, text: String) -> LogLine {
    LogLine {
        at,
        time: at.to_string(),
        kind,
        text,
    }
}

/// The engine's log and the newest writes, each kind at most [`LOG_LINES_PER_KIND`], newest
/// first (ties in the engine's order).
pub fn log_lines(sim: &Simulation) -> Vec<LogLine> {
    let mut out: Vec<LogLine> = Vec::new();
    let mut per_kind = std::collections::BTreeMap::<&str, usize>::new();
    for e in sim.event_log().rev() {
        let n = per_kind.entry(tag(e.kind)).or_default();
        if *n < LOG_LINES_PER_KIND {
            *n += 1;
            out.push(line(e.at, tag(e.kind), e.text.clone()));
        }
    }
    let writes = sim
        .cluster()
        .recorder
        .iter()
        .rev()
        .filter(|r| r.write)
        .take(LOG_LINES_PER_KIND);
    for r in writes {
        let outcome = match r.outcome {
            Outcome::Ok => "acknowledged",
            Outcome::Failed => "refused",
            Outcome::Unknown => "timed out",
        };
        let via = r.node.map(|n| format!(" via n{n}")).unwrap_or_default();
        let took = r.complete.since(r.invoke);
        let text = format!(
            "write #{} {} by session {}{via}: {outcome} after {took}",
            r.id,
            key_name(r.key),
            r.session
        );
        out.push(line(r.complete, "write", text));
    }
    // Stable: lines at the same moment keep the order above.
    crate::sim::sort::sort_by_key(&mut out, |l| std::cmp::Reverse(l.at));
    out
}

/// One check of the run's history so far, for the page.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckView {
    /// The moment the history was taken.
    pub at: SimTime,
    /// What was checked and found, in one sentence.
    pub summary: String,
    /// The findings as log lines (kind `finding`), each at its first operation's invoke.
    pub lines: Vec<LogLine>,
}

/// Run the consistency checker over the history `sim` has recorded so far, bounded by
/// [`CHECK_STATES_MAX`].
pub fn check_view(sim: &Simulation) -> CheckView {
    let at = sim.now();
    let options = CheckOptions {
        max_states_total: CHECK_STATES_MAX,
        max_findings_per_kind: FINDINGS_PER_KIND,
        ..CheckOptions::default()
    };
    match check(&sim.cluster().history(), &options) {
        Ok(r) => CheckView {
            at,
            summary: summary(&r),
            lines: r.findings.iter().map(finding_line).collect(),
        },
        Err(e) => CheckView {
            at,
            summary: format!("The history could not be checked: {e}"),
            lines: Vec::new(),
        },
    }
}

fn kind_words(k: FindingKind) -> &'static str {
    match k {
        FindingKind::StaleRead => "stale read",
        FindingKind::ReadYourWrites => "read-your-writes broken",
        FindingKind::MonotonicReads => "monotonic reads broken",
        FindingKind::MonotonicWrites => "monotonic writes broken",
        FindingKind::LostUpdate => "lost update",
        FindingKind::PhantomRead => "phantom read",
        FindingKind::NotLinearizable => "not linearizable",
    }
}

fn finding_line(f: &Finding) -> LogLine {
    let at = f.ops.first().map_or(SimTime::ZERO, |o| o.invoke);
    let ops: Vec<String> = f
        .ops
        .iter()
        .map(|o| {
            format!(
                "#{} (session {}, {}–{})",
                o.id, o.session, o.invoke, o.complete
            )
        })
        .collect();
    let text = format!(
        "{} on {}: {} Operations: {}",
        kind_words(f.kind),
        f.key,
        f.note,
        ops.join(", ")
    );
    line(at, "finding", text)
}

fn summary(r: &CheckReport) -> String {
    let c = &r.counts;
    let l = &r.linearizability_counts;
    format!(
        "{} operations on {} keys: {} stale reads, {} read-your-writes, {} monotonic-read and \
         {} monotonic-write violations, {} lost updates, {} phantom reads; linearizable keys \
         {}, not linearizable {}, unknown (search bound) {}.",
        r.ops,
        r.keys,
        c.stale_reads,
        c.read_your_writes,
        c.monotonic_reads,
        c.monotonic_writes,
        c.lost_updates,
        c.phantom_reads,
        l.ok,
        l.violation,
        l.unknown
    )
}

/// The lines the page lists: the log and the last check's findings, filtered, newest first,
/// at most [`LOG_LINES_SHOWN`].
pub fn shown<'a>(
    log: &'a [LogLine],
    check: Option<&'a CheckView>,
    filter: &LogFilter,
) -> Vec<&'a LogLine> {
    let findings = check.map_or(&[][..], |c| &c.lines[..]);
    let mut out: Vec<&LogLine> = log
        .iter()
        .chain(findings)
        .filter(|l| filter.shows(l.kind))
        .collect();
    crate::sim::sort::sort_by_key(&mut out, |l| std::cmp::Reverse(l.at));
    out.truncate(LOG_LINES_SHOWN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::repl::{ConflictPolicy, PartitionMode};
    use crate::sim::{Command, Scenario, SimTime};

    fn run_ms(sim: &mut Simulation, ms: u64) {
        sim.advance_to(SimTime::from_ms(ms), u64::MAX);
    }

    #[test]
    fn every_kind_is_bounded_and_writes_do_not_push_others_out() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        run_ms(&mut sim, 200);
        sim.command(Command::CutLink { a: 0, b: 1 }).unwrap();
        run_ms(&mut sim, 20_000);
        let lines = log_lines(&sim);
        let writes = lines.iter().filter(|l| l.kind == "write").count();
        assert_eq!(writes, LOG_LINES_PER_KIND);
        assert!(lines.iter().any(|l| l.text.contains("link n0–n1 cut")));
        assert!(lines.windows(2).all(|w| w[0].at >= w[1].at));
        // Hidden by default; shown once switched on; never more than the page lists.
        let f = LogFilter::default();
        assert!(shown(&lines, None, &f).iter().all(|l| l.kind != "write"));
        let f = f.toggled("write");
        let s = shown(&lines, None, &f);
        assert!(s.iter().any(|l| l.kind == "write"));
        assert!(s.len() <= LOG_LINES_SHOWN);
        // Hiding commands removes the cut.
        let f = f.toggled("command").toggled("write");
        assert!(shown(&lines, None, &f)
            .iter()
            .all(|l| !l.text.contains("link n0–n1 cut")));
        assert_eq!(f.toggled("no such kind"), f);
    }

    #[test]
    fn an_ap_partition_gives_findings_that_name_their_operations() {
        let mut sc = Scenario::default();
        sc.replication.partition_mode = PartitionMode::Ap;
        sc.replication.r = 1;
        sc.replication.w = 1;
        sc.replication.conflict = ConflictPolicy::Lww;
        let mut sim = Simulation::new(sc).unwrap();
        run_ms(&mut sim, 1_000);
        sim.command(Command::Partition {
            groups: vec![vec![0]],
        })
        .unwrap();
        run_ms(&mut sim, 8_000);
        sim.command(Command::HealPartition).unwrap();
        run_ms(&mut sim, 12_000);
        let c = check_view(&sim);
        assert_eq!(c.at, sim.now());
        assert!(c.summary.contains("operations on"), "{}", c.summary);
        let stale = c
            .lines
            .iter()
            .find(|l| l.text.starts_with("stale read"))
            .unwrap_or_else(|| panic!("no stale read: {}", c.summary));
        assert!(stale.text.contains("Operations: #"), "{}", stale.text);
        assert!(stale.at > SimTime::ZERO && stale.at <= sim.now());
        // Findings join the log under their own kind and can be hidden.
        let lines = log_lines(&sim);
        let f = LogFilter::default();
        assert!(shown(&lines, Some(&c), &f)
            .iter()
            .any(|l| l.kind == "finding"));
        let f = f.toggled("finding");
        assert!(shown(&lines, Some(&c), &f)
            .iter()
            .all(|l| l.kind != "finding"));
    }
}
