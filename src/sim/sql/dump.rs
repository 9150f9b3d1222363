//! The `migrascope sql` output: every table as one JSON line, in name order,
//! `{"table":"t","columns":["id","v"],"rows":[[1,"x"],...]}`, rows by primary key (tables
//! without one: physical order). A failing statement adds
//! `{"error":{"statement":N,"message":"..."}}` (N 1-based) after the tables, which then show
//! the state before that statement.

use super::value::json_string;
use super::{SqlError, SqlStore, Table};

/// One table as a JSON line (no trailing newline).
pub fn table_json(t: &Table) -> String {
    let columns: Vec<String> = t.columns().iter().map(|c| json_string(&c.name)).collect();
    let rows: Vec<String> = t
        .rows_by_primary_key()
        .into_iter()
        .map(|row| {
            let vals: Vec<String> = row
                .iter()
                .zip(t.columns())
                .map(|(v, c)| v.to_json_as(&c.ty))
                .collect();
            format!("[{}]", vals.join(","))
        })
        .collect();
    format!(
        "{{\"table\":{},\"columns\":[{}],\"rows\":[{}]}}",
        json_string(t.name()),
        columns.join(","),
        rows.join(",")
    )
}

/// Every table, one JSON line each, in name order (each line ends with a newline).
pub fn dump_tables(store: &SqlStore) -> String {
    store.tables().map(|t| table_json(t) + "\n").collect()
}

/// The error line for a failed statement (`statement` is 1-based in the output).
pub fn error_json(e: &SqlError) -> String {
    format!(
        "{{\"error\":{{\"statement\":{},\"message\":{}}}}}",
        e.statement + 1,
        json_string(&e.message)
    )
}

/// The result of running a script on an empty store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptRun {
    /// The JSON lines, each ending with a newline.
    pub output: String,
    /// The failure, if a statement failed (the output's last line describes it).
    pub error: Option<SqlError>,
}

/// Run `sql` against an empty store and render the final tables. On a failure the session
/// ends as a disconnect would (an open transaction rolls back, as when `psql` stops on the
/// error), the tables print in that state, and the error line comes last.
pub fn run_script(sql: &str) -> ScriptRun {
    let mut store = SqlStore::new();
    match store.execute(sql) {
        Ok(_) => {
            store.end_session();
            ScriptRun {
                output: dump_tables(&store),
                error: None,
            }
        }
        Err(e) => {
            store.end_session();
            let output = dump_tables(&store) + &error_json(&e) + "\n";
            ScriptRun {
                output,
                error: Some(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_prints_tables_in_name_order_with_typed_json() {
        let run = run_script(
            "CREATE TABLE b (id INT PRIMARY KEY, n NUMERIC(5,2), d DATE, ts TIMESTAMP, r REAL, ok BOOLEAN, s TEXT);
             INSERT INTO b VALUES (2, 12.5, '2024-01-31', '2024-01-31 12:00', 1.1, true, 'x\"y'), (1, NULL, NULL, NULL, NULL, NULL, NULL);
             CREATE TABLE a (v INT);",
        );
        assert_eq!(run.error, None);
        let expected = concat!(
            "{\"table\":\"a\",\"columns\":[\"v\"],\"rows\":[]}\n",
            "{\"table\":\"b\",\"columns\":[\"id\",\"n\",\"d\",\"ts\",\"r\",\"ok\",\"s\"],\"rows\":[",
            "[1,null,null,null,null,null,null],",
            "[2,\"12.50\",\"2024-01-31\",\"2024-01-31 12:00:00\",1.1,true,\"x\\\"y\"]]}\n"
        );
        assert_eq!(run.output, expected);
    }

    #[test]
    fn a_failure_prints_the_state_before_it_and_the_error_last() {
        let run = run_script(
            "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2), (1);",
        );
        let lines: Vec<&str> = run.output.lines().collect();
        assert_eq!(
            lines[0],
            "{\"table\":\"t\",\"columns\":[\"id\"],\"rows\":[[1]]}"
        );
        assert_eq!(
            lines[1],
            "{\"error\":{\"statement\":3,\"message\":\"duplicate key value violates unique constraint \\\"t_pkey\\\"\"}}"
        );
    }

    #[test]
    fn an_open_transaction_is_rolled_back_when_the_script_stops() {
        let run = run_script(
            "CREATE TABLE t (id INT); BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES ('x');",
        );
        assert!(run
            .output
            .starts_with("{\"table\":\"t\",\"columns\":[\"id\"],\"rows\":[]}\n"));
        assert_eq!(run.error.map(|e| e.statement), Some(3));
    }
}
