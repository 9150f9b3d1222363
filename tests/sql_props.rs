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

/// Fragments that combine into mostly-invalid but parseable-looking SQL.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "CREATE TABLE",
        "t",
        "p",
        "c",
        "(",
        ")",
        ",",
        ";",
        "id",
        "v",
        "s",
        "INT",
        "TEXT",
        "NUMERIC(3,1)",
        "VARCHAR(2)",
        "DATE",
        "TIMESTAMP",
        "REAL",
        "BOOLEAN",
        "PRIMARY KEY",
        "UNIQUE",
        "NOT NULL",
        "DEFAULT",
        "CHECK",
        "REFERENCES",
        "ON DELETE CASCADE",
        "INSERT INTO",
        "VALUES",
        "UPDATE",
        "SET",
        "=",
        "WHERE",
        "DELETE FROM",
        "ALTER TABLE",
        "ADD COLUMN",
        "DROP COLUMN",
        "ALTER COLUMN",
        "TYPE",
        "USING",
        "RENAME TO",
        "DROP TABLE",
        "CREATE INDEX ON",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SELECT",
        "*",
        "FROM",
        "1",
        "0",
        "-1",
        "1.5",
        "'x'",
        "'2024-02-30'",
        "NULL",
        "true",
        "+",
        "-",
        "/",
        "%",
        "||",
        "AND",
        "OR",
        "NOT",
        "IS NULL",
        "IN",
        "::",
        "CAST",
        "AS",
        "COALESCE",
        "CASE WHEN",
        "THEN",
        "ELSE",
        "END",
        "9e99",
        "2147483647",
        "lower",
        "length",
    ])
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(parts in prop::collection::vec(fragment(), 0..40)) {
        let mut s = fresh();
        let _ = s.execute(&parts.join(" "));
        let _ = dump_tables(&s);
    }

    #[test]
    fn arbitrary_statements_after_setup_never_panic(
        stmts in prop::collection::vec(prop::collection::vec(fragment(), 1..12), 1..6),
    ) {
        let mut s = SqlStore::new();
        s.execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT, s INT);").expect("setup");
        for parts in stmts {
            let _ = s.execute(&parts.join(" "));
        }
        s.end_session();
        let _ = dump_tables(&s);
    }
}

const TYPED_SETUP: &str = "
    CREATE TABLE t (id INT PRIMARY KEY, i INT, g BIGINT, m SMALLINT, n NUMERIC(6,2), u NUMERIC,
                    r REAL, f DOUBLE PRECISION, s TEXT, v VARCHAR(4), b BOOLEAN, d DATE, ts TIMESTAMP,
                    CHECK (i <> 13));
    INSERT INTO t VALUES (1, 1, 2, 3, 4.5, 0.1, 1.5, 2.5, 'a', 'b', true, '2024-01-31', '2024-01-31 12:00'),
                         (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                         (3, -7, 9000000000, -32768, -0.01, 123.456, 'NaN', 1e300, '', 'xyz', false, '1999-12-31', '2000-02-29 23:59:59.5');
";

const COLUMNS: [&str; 12] = ["i", "g", "m", "n", "u", "r", "f", "s", "v", "b", "d", "ts"];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(COLUMNS.to_vec()).prop_map(str::to_string),
        prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "2147483647",
            "9223372036854775807",
            "1.5",
            "0.001",
            "1e10",
            "NULL",
            "true",
            "false",
            "'x'",
            "'12'",
            "'2024-02-29'",
            "'t'",
            "''",
            "'NaN'",
            "DATE '2024-01-01'",
        ])
        .prop_map(str::to_string),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        let op = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "||", "=", "<>", "<", ">=", "AND", "OR",
        ]);
        let ty = prop::sample::select(vec![
            "INT",
            "SMALLINT",
            "BIGINT",
            "NUMERIC(4,1)",
            "NUMERIC",
            "REAL",
            "DOUBLE PRECISION",
            "TEXT",
            "VARCHAR(2)",
            "BOOLEAN",
            "DATE",
            "TIMESTAMP",
        ]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            (inner.clone(), ty).prop_map(|(a, t)| format!("CAST({a} AS {t})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("COALESCE({a}, {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("CASE WHEN {a} THEN {b} ELSE {c} END")),
            inner.clone().prop_map(|a| format!("(-{a})")),
            inner.clone().prop_map(|a| format!("(NOT {a})")),
            inner.clone().prop_map(|a| format!("({a} IS NULL)")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("({a} IN ({b}, {c}))")),
            inner.clone().prop_map(|a| format!("lower({a})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a} IS DISTINCT FROM {b})")),
        ]
    })
}

fn typed_statement() -> impl Strategy<Value = String> {
    let col = prop::sample::select(COLUMNS.to_vec());
    let ty = prop::sample::select(vec![
        "INT",
        "BIGINT",
        "NUMERIC(8,3)",
        "TEXT",
        "DOUBLE PRECISION",
    ]);
    prop_oneof![
        (col.clone(), expr(), expr())
            .prop_map(|(c, e, w)| format!("UPDATE t SET {c} = {e} WHERE {w}")),
        (col.clone(), expr()).prop_map(|(c, e)| format!("INSERT INTO t (id, {c}) VALUES (4, {e})")),
        expr().prop_map(|w| format!("DELETE FROM t WHERE {w}")),
        expr().prop_map(|e| format!("SELECT {e} FROM t")),
        (col, ty, expr())
            .prop_map(|(c, t, e)| format!("ALTER TABLE t ALTER COLUMN {c} TYPE {t} USING {e}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random typed expressions: never a panic, and a failure never changes the table.
    #[test]
    fn random_expressions_are_safe_and_atomic(stmts in prop::collection::vec(typed_statement(), 1..6)) {
        let mut s = SqlStore::new();
        s.execute(TYPED_SETUP).expect("setup");
        for sql in &stmts {
            let before = dump_tables(&s);
            if let Err(e) = s.execute(sql) {
                prop_assert_eq!(dump_tables(&s), before, "{} failed with {} but changed the store", sql, e);
            }
        }
    }
}
