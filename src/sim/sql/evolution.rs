//! Schema evolution for the SQL store: it plugs into the shared migration history
//! (`crate::sim::doc::history`, Flyway-like, with SQL text as steps), and a reversibility check
//! says, before a migration runs, what its down steps cannot give back.
//!
//! The check does not guess from the SQL text alone: it runs the up steps on a copy of the
//! store, one at a time, and compares the schema and the data before and after each, then runs
//! the down steps and compares the result with the original. So "dropped column", "narrowed
//! type" and "NOT NULL added over NULLs" are found on the data the store really holds.

use crate::sim::doc::history::{Checksum, Migratable};
use crate::sim::doc::reversibility::{Finding, FindingKind};

use super::dump::dump_tables;
use super::{SqlError, SqlStore, SqlType, StatementKind, Table};

impl Migratable for SqlStore {
    type Step = String;
    type Error = SqlError;

    /// Run one step (one or more statements); returns the rows it touched.
    fn apply_step(&mut self, step: &String) -> Result<u64, SqlError> {
        let outcomes = self.execute(step)?;
        Ok(outcomes
            .iter()
            .map(|o| o.rows_affected + o.rows_cascaded)
            .sum())
    }

    /// SHA-256 over the schema (columns, types, constraints, indexes) and every row, so an
    /// out-of-band `ALTER`, `CREATE INDEX` or `UPDATE` is seen as drift.
    fn fingerprint(&self) -> Checksum {
        let mut h = Checksum::hasher();
        for t in self.tables() {
            h.field(b"table", t.name().as_bytes());
            h.field(b"columns", format!("{:?}", t.columns()).as_bytes());
            h.field(b"constraints", format!("{:?}", t.constraints()).as_bytes());
            let indexes: Vec<String> = t.indexes().iter().map(|i| format!("{i:?}")).collect();
            h.field(b"indexes", indexes.join("\n").as_bytes());
        }
        h.field(b"rows", dump_tables(self).as_bytes());
        h.finish()
    }
}

/// Whether every value of type `from` survives a change to `to` unchanged.
pub fn widens_or_keeps(from: &SqlType, to: &SqlType) -> bool {
    use SqlType::*;
    let int_rank = |t: &SqlType| match t {
        SmallInt => Some(1),
        Int => Some(2),
        BigInt => Some(3),
        _ => None,
    };
    match (from, to) {
        _ if from == to => true,
        (a, b) if int_rank(a).is_some() && int_rank(b).is_some() => int_rank(a) <= int_rank(b),
        (SmallInt | Int, Double) | (Real, Double) => true,
        (SmallInt | Int | BigInt, Numeric(None)) | (Numeric(Some(_)), Numeric(None)) => true,
        (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) => s2 >= s1 && p2 - s2 >= p1 - s1,
        (Varchar(_), Text) | (Text, Varchar(None)) | (Varchar(_), Varchar(None)) => true,
        (Varchar(Some(a)), Varchar(Some(b))) => b >= a,
        (Date, Timestamp) => true,
        _ => false,
    }
}

fn rows_with_values(t: &Table, col: usize) -> usize {
    t.rows_by_primary_key()
        .iter()
        .filter(|r| !r[col].is_null())
        .count()
}

fn finding(
    side: &'static str,
    step: usize,
    path: String,
    kind: FindingKind,
    message: String,
) -> Finding {
    Finding {
        side,
        step,
        path,
        kind,
        message,
    }
}

/// What changed between `before` and `after` one up step that the down steps cannot restore.
fn schema_losses(before: &SqlStore, after: &SqlStore, step: usize, out: &mut Vec<Finding>) {
    for t in before.tables() {
        let Some(t2) = after.table(t.name()) else {
            let msg = format!(
                "up drops table {} with {} rows: down can recreate the table, not its rows",
                t.name(),
                t.row_count()
            );
            out.push(finding(
                "up",
                step,
                t.name().to_string(),
                FindingKind::DataLoss,
                msg,
            ));
            continue;
        };
        for (i, c) in t.columns().iter().enumerate() {
            let path = format!("{}.{}", t.name(), c.name);
            match t2.column_index(&c.name).map(|j| &t2.columns()[j]) {
                None => {
                    let n = rows_with_values(t, i);
                    if n > 0 {
                        let msg = format!("up drops column {path}, which holds values in {n} rows: down can add the column back, not its values");
                        out.push(finding("up", step, path, FindingKind::DataLoss, msg));
                    }
                }
                Some(c2) if !widens_or_keeps(&c.ty, &c2.ty) => {
                    let msg = format!("up narrows {path} from {} to {}: values may be rounded or cut, and down restores the type, not the lost digits", c.ty, c2.ty);
                    out.push(finding("up", step, path, FindingKind::PossibleLoss, msg));
                }
                Some(_) => {}
            }
        }
    }
}

/// Predict what the down steps of a migration cannot restore, on this store's real data.
/// Nothing is changed: the up and down steps run on a copy.
pub fn check_sql_reversibility(store: &SqlStore, up: &[String], down: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut copy = store.clone();
    for (i, step) in up.iter().enumerate() {
        let before = copy.clone();
        match copy.execute(step) {
            Ok(outcomes) => {
                for o in outcomes.iter().filter(|o| o.rows_affected > 0) {
                    let table = o.table.clone().unwrap_or_default();
                    let (kind, what) = match o.kind {
                        StatementKind::Delete => (FindingKind::DataLoss, "deletes"),
                        StatementKind::Update => (FindingKind::PossibleLoss, "overwrites"),
                        _ => continue,
                    };
                    let msg = format!(
                        "up {what} {} rows of {table}: down cannot know their old values",
                        o.rows_affected
                    );
                    out.push(finding("up", i, table, kind, msg));
                }
                schema_losses(&before, &copy, i, &mut out);
            }
            Err(e) => {
                let msg = format!("up step {} fails on this data: {}", i + 1, e.message);
                out.push(finding(
                    "up",
                    i,
                    String::new(),
                    FindingKind::NotReverted,
                    msg,
                ));
                return out;
            }
        }
    }
    for (j, step) in down.iter().enumerate() {
        if let Err(e) = copy.execute(step) {
            let msg = format!(
                "down step {} fails after up: {} (the undo would stop here)",
                j + 1,
                e.message
            );
            out.push(finding(
                "down",
                j,
                String::new(),
                FindingKind::NotReverted,
                msg,
            ));
            return out;
        }
    }
    if out.is_empty() && dump_tables(&copy) != dump_tables(store) {
        let msg = "after up and down the tables differ from before".to_string();
        out.push(finding(
            "down",
            down.len(),
            String::new(),
            FindingKind::NotReverted,
            msg,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::doc::history::{MigrationHistory, MigrationState};
    use crate::sim::SimTime;

    fn store() -> SqlStore {
        let mut s = SqlStore::new();
        s.execute(
            "CREATE TABLE users (id INT PRIMARY KEY, email TEXT, score NUMERIC(6,2), nick TEXT);
             INSERT INTO users VALUES (1, 'a@x', 10.25, NULL), (2, NULL, 3.5, 'bee');",
        )
        .unwrap();
        s
    }

    fn kinds(f: &[Finding]) -> Vec<(FindingKind, String)> {
        f.iter().map(|f| (f.kind, f.path.clone())).collect()
    }

    #[test]
    fn dropped_column_narrowed_type_and_not_null_over_nulls_are_found() {
        let s = store();
        let up = vec!["ALTER TABLE users DROP COLUMN email".to_string()];
        let down = vec!["ALTER TABLE users ADD COLUMN email TEXT".to_string()];
        assert_eq!(
            kinds(&check_sql_reversibility(&s, &up, &down)),
            vec![(FindingKind::DataLoss, "users.email".into())]
        );

        let up = vec!["ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(6,0)".to_string()];
        let down = vec!["ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(6,2)".to_string()];
        let f = check_sql_reversibility(&s, &up, &down);
        assert_eq!(
            kinds(&f),
            vec![(FindingKind::PossibleLoss, "users.score".into())]
        );
        assert!(f[0].message.contains("narrows"), "{}", f[0].message);

        let up = vec!["ALTER TABLE users ALTER COLUMN nick DROP NOT NULL".to_string()];
        let down = vec!["ALTER TABLE users ALTER COLUMN email SET NOT NULL".to_string()];
        let f = check_sql_reversibility(&s, &up, &down);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::NotReverted);
        assert!(
            f[0].message.contains("contains null values"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_lossless_migration_has_no_findings_and_the_store_is_untouched() {
        let s = store();
        let before = dump_tables(&s);
        let up = vec![
            "ALTER TABLE users ADD COLUMN age INT DEFAULT 0".to_string(),
            "ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(8,3)".to_string(),
        ];
        let down = vec![
            "ALTER TABLE users ALTER COLUMN score TYPE NUMERIC(6,2)".to_string(),
            "ALTER TABLE users DROP COLUMN age".to_string(),
        ];
        assert_eq!(check_sql_reversibility(&s, &up, &down), vec![]);
        assert_eq!(dump_tables(&s), before);
        let up = vec!["DELETE FROM users WHERE id = 2".to_string()];
        assert_eq!(
            check_sql_reversibility(&s, &up, &[])[0].kind,
            FindingKind::DataLoss
        );
    }

    #[test]
    fn widening_rules() {
        use SqlType::*;
        assert!(widens_or_keeps(&Int, &BigInt));
        assert!(!widens_or_keeps(&BigInt, &Int));
        assert!(widens_or_keeps(&Varchar(Some(5)), &Text));
        assert!(!widens_or_keeps(&Text, &Varchar(Some(5))));
        assert!(!widens_or_keeps(&Timestamp, &Date));
        assert!(!widens_or_keeps(&Double, &Real));
    }

    #[test]
    fn the_history_migrates_validates_and_undoes_a_sql_store() {
        let mut s = store();
        let mut h: MigrationHistory<String> = MigrationHistory::new();
        h.add::<SqlError>(
            1,
            "add age",
            vec!["ALTER TABLE users ADD COLUMN age INT".into()],
            vec!["ALTER TABLE users DROP COLUMN age".into()],
        )
        .unwrap();
        h.add::<SqlError>(
            2,
            "bad",
            vec!["ALTER TABLE users ALTER COLUMN email SET NOT NULL".into()],
            vec![],
        )
        .unwrap();
        let original = s.fingerprint();
        assert!(
            h.migrate(&mut s, SimTime::from_ms(1)).is_err(),
            "v2 fails on a NULL email"
        );
        assert_eq!(h.record(1).unwrap().state, MigrationState::Applied);
        assert_eq!(h.record(2).unwrap().state, MigrationState::Failed);
        let after_v1 = s.fingerprint();
        assert_ne!(after_v1, original);
        assert!(s.table("users").unwrap().column_index("age").is_some());
        // An out-of-band change is drift.
        let mut changed = s.clone();
        changed
            .execute("UPDATE users SET nick = 'x' WHERE id = 1")
            .unwrap();
        assert_ne!(changed.fingerprint(), after_v1);
        assert!(h.validate(&changed).len() > h.validate(&s).len());
        // Undo v1 restores the original content.
        h.undo(&mut s, SimTime::from_ms(2)).unwrap();
        assert_eq!(s.fingerprint(), original);
    }
}
