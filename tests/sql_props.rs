//! Property tests for the SQL store: statement-level atomicity (a failing statement changes
//! nothing, compared through the JSON dump) and transaction atomicity (a transaction either
//! leaves the store as it found it or as the same statements in autocommit mode would).
#![cfg(not(target_arch = "wasm32"))]

use migrascope::sim::sql::dump::dump_tables;
use migrascope::sim::sql::{SqlStore, TxState};
use proptest::prelude::*;

const SETUP: &str = "
    CREATE TABLE p (id INT PRIMARY KEY, v INT CHECK (v < 1000), s TEXT UNIQUE);
    CREATE TABLE c (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE CASCADE);
    CREATE TABLE r (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE RESTRICT);
    CREATE TABLE n (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE SET NULL, w INT NOT NULL);
    INSERT INTO p VALUES (1, 10, 'a'), (2, NULL, 'b'), (3, 30, NULL);
    INSERT INTO c VALUES (1, 1), (2, 1);
    INSERT INTO r VALUES (1, 3);
    INSERT INTO n VALUES (1, 2, 0);
";

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3i32..1200).prop_map(|v| v.to_string()),
        Just("NULL".to_string()),
        Just("'x'".to_string()),
        Just("2147483647".to_string()),
    ]
}

/// Statements over the setup's tables; many of them fail (duplicates, missing parents,
/// restrict, check, overflow, bad input, division by zero, failing DDL).
fn statement() -> impl Strategy<Value = String> {
    let id = 0i32..6;
    prop_oneof![
        (id.clone(), value(), "[a-c]")
            .prop_map(|(i, v, s)| format!("INSERT INTO p VALUES ({i}, {v}, '{s}')")),
        (id.clone(), id.clone()).prop_map(|(i, p)| format!("INSERT INTO c VALUES ({i}, {p})")),
        (id.clone(), id.clone()).prop_map(|(i, p)| format!("INSERT INTO r VALUES ({i}, {p})")),
        (id.clone(), value()).prop_map(|(i, v)| format!("INSERT INTO n VALUES ({i}, 1, {v})")),
        (value(), id.clone()).prop_map(|(v, i)| format!("UPDATE p SET v = v + {v} WHERE id = {i}")),
        (-2i32..3).prop_map(|k| format!("UPDATE p SET v = v / {k}")),
        (0i32..3).prop_map(|k| format!("UPDATE p SET id = id + {k}")),
        id.clone()
            .prop_map(|i| format!("DELETE FROM p WHERE id = {i}")),
        id.clone()
            .prop_map(|i| format!("DELETE FROM c WHERE p_id = {i} OR id = {i}")),
        Just("DELETE FROM r".to_string()),
        Just("ALTER TABLE p ALTER COLUMN v SET NOT NULL".to_string()),
        (1i32..200)
            .prop_map(|k| format!("ALTER TABLE p ALTER COLUMN v TYPE SMALLINT USING v * {k}")),
        Just("ALTER TABLE p ADD COLUMN extra INT NOT NULL".to_string()),
        value().prop_map(|v| format!("ALTER TABLE p ADD COLUMN extra2 INT DEFAULT {v}")),
        Just("CREATE UNIQUE INDEX ON p (v)".to_string()),
        Just("ALTER TABLE c ADD UNIQUE (p_id)".to_string()),
        Just("ALTER TABLE p DROP COLUMN s".to_string()),
        Just("DROP TABLE r".to_string()),
    ]
}

fn fresh() -> SqlStore {
    let mut s = SqlStore::new();
    s.execute(SETUP).expect("setup runs");
    s
}

proptest! {
    #[test]
    fn a_failing_statement_changes_nothing(stmts in prop::collection::vec(statement(), 1..25)) {
        let mut s = fresh();
        for sql in &stmts {
            let before = dump_tables(&s);
            if let Err(e) = s.execute(sql) {
                prop_assert_eq!(dump_tables(&s), before, "{} failed with {} but changed the store", sql, e);
            }
        }
    }

    #[test]
    fn a_failing_statement_inside_a_transaction_changes_nothing(
        stmts in prop::collection::vec(statement(), 1..15),
    ) {
        let mut s = fresh();
        s.execute("BEGIN").expect("begin");
        for sql in &stmts {
            let before = dump_tables(&s);
            if s.execute(sql).is_err() {
                prop_assert_eq!(dump_tables(&s), before, "{} changed the store", sql);
                prop_assert_eq!(s.transaction_state(), TxState::Aborted);
                break;
            }
        }
    }

    #[test]
    fn transactions_are_atomic(stmts in prop::collection::vec(statement(), 0..15), commit in any::<bool>()) {
        let mut s = fresh();
        let start = dump_tables(&s);
        s.execute("BEGIN").expect("begin");
        let mut failed = false;
        for sql in &stmts {
            failed |= s.execute(sql).is_err();
        }
        s.execute(if commit { "COMMIT" } else { "ROLLBACK" }).expect("end");
        prop_assert_eq!(s.transaction_state(), TxState::Idle);
        if !commit || failed {
            prop_assert_eq!(dump_tables(&s), start);
        } else {
            let mut reference = fresh();
            for sql in &stmts {
                reference.execute(sql).expect("same statements succeed in autocommit");
            }
            prop_assert_eq!(dump_tables(&s), dump_tables(&reference));
        }
    }

    #[test]
    fn same_script_same_result(stmts in prop::collection::vec(statement(), 0..15)) {
        let run = || {
            let mut s = fresh();
            let results: Vec<bool> = stmts.iter().map(|sql| s.execute(sql).is_ok()).collect();
            (results, dump_tables(&s))
        };
        prop_assert_eq!(run(), run());
    }
}
