//! The native command line, on the same model as the page.
//!
//! ```text
//! migrascope run SCENARIO.json [--commands LOG.json]   run to the scenario's end, print a JSON report
//!                                                       (a scenario with a `migration` section runs
//!                                                       the migration and prints its report)
//! migrascope run --default                              the same for the built-in default scenario
//! migrascope sql FILE.sql                               run SQL on an empty table store, print the
//!                                                       tables as JSON lines (exit 1 on a failed statement)
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use std::io::Write;
    use std::process::ExitCode;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        // A reader that stops early (`| head`) closes the pipe: that ends the output, quietly.
        Ok(out) => match writeln!(std::io::stdout(), "{out}").filter_broken_pipe() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("migrascope: {e}");
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("migrascope: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn run(args: &[String]) -> Result<String, String> {
    use migrascope::sim::{Scenario, TimedCommand};
    const USAGE: &str = "usage: migrascope run (SCENARIO.json | --default) [--commands LOG.json]\n       migrascope sql FILE.sql";
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"));
    match args.first().map(String::as_str) {
        Some("run") => {
            let scenario = match args.get(1).map(String::as_str) {
                Some("--default") => Scenario::default(),
                Some(path) => {
                    Scenario::from_json(&read(path)?).map_err(|e| format!("{path}: {e}"))?
                }
                None => return Err(USAGE.into()),
            };
            if let Some(m) = &scenario.migration {
                if args.len() > 2 {
                    return Err("a migration scenario takes no --commands".into());
                }
                let report = migrascope::sim::migrate::run(m, scenario.seed)
                    .map_err(|e| format!("migration: {e}"))?;
                return serde_json::to_string_pretty(&report).map_err(|e| e.to_string());
            }
            let commands: Vec<TimedCommand> = match (args.get(2).map(String::as_str), args.get(3)) {
                (Some("--commands"), Some(path)) => serde_json::from_str(&read(path)?)
                    .map_err(|e| format!("{path}: not a command log: {e}"))?,
                (None, _) => Vec::new(),
                _ => return Err(USAGE.into()),
            };
            migrascope::cli_report::run_report(scenario, &commands).map_err(|e| e.to_string())
        }
        Some("map") => migrascope::sim::mapping::cli::run_map(&args[1..], &read),
        Some("sql") => {
            let path = args.get(1).filter(|_| args.len() == 2).ok_or(USAGE)?;
            let run = migrascope::sim::sql::dump::run_script(&read(path)?);
            // The output is complete JSON lines; print it as is and choose the exit code here.
            let mut stdout = std::io::stdout();
            let written = std::io::Write::write_all(&mut stdout, run.output.as_bytes())
                .and_then(|()| std::io::Write::flush(&mut stdout));
            if let Err(e) = written.filter_broken_pipe() {
                return Err(e.to_string());
            }
            if let Some(detail) = run.error.as_ref().and_then(|e| e.detail.as_ref()) {
                eprintln!("DETAIL: {detail}");
            }
            std::process::exit(if run.error.is_some() { 1 } else { 0 });
        }
        _ => Err(USAGE.into()),
    }
}

/// A closed pipe (the reader stopped early) is not an error of ours.
#[cfg(not(target_arch = "wasm32"))]
trait FilterBrokenPipe {
    fn filter_broken_pipe(self) -> std::io::Result<()>;
}

#[cfg(not(target_arch = "wasm32"))]
impl FilterBrokenPipe for std::io::Result<()> {
    fn filter_broken_pipe(self) -> std::io::Result<()> {
        match self {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
