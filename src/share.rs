//! A whole run in a URL: the scenario and the command log, as JSON in the page's fragment
//! (`#run=...`), percent-encoded. Opening such a link replays the commands and pauses where the
//! last one was issued. Pure, so encoding and every way a pasted link can be wrong are tested
//! natively.

use serde::{Deserialize, Serialize};

use crate::sim::{Scenario, TimedCommand};

/// Longest fragment accepted, in bytes; browsers and chat tools mangle longer links anyway.
pub const FRAGMENT_BYTES_MAX: usize = 256 * 1024;
const KEY: &str = "run=";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedRun {
    pub scenario: Scenario,
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
}

/// The fragment (without `#`) that reproduces `run`.
pub fn encode(run: &SharedRun) -> String {
    let json = serde_json::to_string(run).expect("a run always serialises");
    format!("{KEY}{}", percent_encode(&json))
}

/// Read a fragment. `Ok(None)` when it holds no run (empty, or some other fragment);
/// `Err` with a message a user can act on when it holds a broken one.
pub fn decode(fragment: &str) -> Result<Option<SharedRun>, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let Some(body) = fragment.strip_prefix(KEY) else {
        return Ok(None);
    };
    if body.len() > FRAGMENT_BYTES_MAX {
        return Err(format!(
            "the link is too long ({} KiB; at most {} KiB)",
            body.len() / 1024,
            FRAGMENT_BYTES_MAX / 1024
        ));
    }
    let json = percent_decode(body).ok_or("the link is damaged (bad %-escape or not UTF-8)")?;
    let run: SharedRun =
        serde_json::from_str(&json).map_err(|e| format!("the link's run is not valid: {e}"))?;
    run.scenario.validate().map_err(|e| e.to_string())?;
    let mut last = crate::sim::SimTime::ZERO;
    for c in &run.commands {
        if c.at < last {
            return Err(format!(
                "the link's commands are out of time order at {}",
                c.at
            ));
        }
        last = c.at;
        run.scenario
            .validate_command(&c.command)
            .map_err(|e| e.to_string())?;
    }
    Ok(Some(run))
}

/// Unreserved characters stay; everything else becomes `%XX` (UTF-8 bytes).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Command, SimTime};

    fn run() -> SharedRun {
        SharedRun {
            scenario: Scenario {
                seed: 7,
                name: "lesson: 50% loss → lag".into(),
                ..Scenario::default()
            },
            commands: vec![TimedCommand {
                at: SimTime::from_ms(1_500),
                command: Command::CutLink { a: 0, b: 1 },
            }],
        }
    }

    #[test]
    fn round_trips_through_a_fragment() {
        let f = encode(&run());
        assert!(f.starts_with("run=%7B"));
        assert!(!f.contains(' ') && !f.contains('"') && !f.contains('#'));
        assert_eq!(decode(&format!("#{f}")).unwrap(), Some(run()));
        assert_eq!(decode(&f).unwrap(), Some(run()));
    }

    #[test]
    fn other_fragments_are_not_runs() {
        assert_eq!(decode("").unwrap(), None);
        assert_eq!(decode("#section-2").unwrap(), None);
    }

    #[test]
    fn broken_links_get_messages() {
        assert!(decode("#run=%7").unwrap_err().contains("damaged"));
        assert!(decode("#run=%FF%FE").unwrap_err().contains("damaged"));
        assert!(decode("#run=%7Bnope").unwrap_err().contains("not valid"));
        let mut bad = run();
        bad.scenario.cluster.nodes = 99;
        assert!(decode(&encode(&bad)).unwrap_err().contains("cluster.nodes"));
        let mut bad = run();
        bad.commands[0].command = Command::Crash { node: 42 };
        assert!(decode(&encode(&bad)).unwrap_err().contains("node 42"));
        let mut bad = run();
        bad.commands.insert(
            0,
            TimedCommand {
                at: SimTime::from_ms(9_000),
                command: Command::HealAll,
            },
        );
        assert!(decode(&encode(&bad))
            .unwrap_err()
            .contains("out of time order"));
        let long = format!("#run={}", "a".repeat(FRAGMENT_BYTES_MAX + 1));
        assert!(decode(&long).unwrap_err().contains("too long"));
    }
}
