//! Store-level tests: every statement kind, its error paths, transactions and the cost hooks.
//! (Expression, value and table details are tested beside their code.)

use super::*;

fn store(sql: &str) -> SqlStore {
    let mut s = SqlStore::new();
    s.execute(sql)
        .unwrap_or_else(|e| panic!("setup failed: {e}"));
    s
}

fn err(s: &mut SqlStore, sql: &str) -> SqlError {
    s.execute(sql).expect_err("statement should fail")
}

fn one(s: &mut SqlStore, sql: &str) -> StatementOutcome {
    let mut v = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn rows(s: &SqlStore, table: &str) -> Vec<Vec<Value>> {
    let t = s.table(table).expect("table exists");
    t.rows_by_primary_key().into_iter().cloned().collect()
}

fn ints(s: &SqlStore, table: &str, col: usize) -> Vec<Option<i64>> {
    rows(s, table)
        .iter()
        .map(|r| match r[col] {
            Value::Int(i) => Some(i),
            _ => None,
        })
        .collect()
}

#[test]
fn create_table_records_columns_constraints_and_indexes() {
    let s = store(
        "CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(20) UNIQUE NOT NULL, n NUMERIC(5,2) DEFAULT 1.5,
                         p INT REFERENCES t (id), CHECK (n > 0));",
    );
    let t = s.table("t").unwrap();
    let names: Vec<&str> = t.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "email", "n", "p"]);
    assert_eq!(t.columns()[1].ty, SqlType::Varchar(Some(20)));
    assert!(t.columns()[0].not_null, "primary key columns are not null");
    let cons: Vec<&str> = t.constraints().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cons, ["t_n_check", "t_pkey", "t_email_key", "t_p_fkey"]);
    let idx: Vec<&str> = t.indexes().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(idx, ["t_pkey", "t_email_key"]);
}

#[test]
fn create_table_errors() {
    let mut s = store("CREATE TABLE t (id INT);");
    assert_eq!(
        err(&mut s, "CREATE TABLE t (x INT)").message,
        "relation \"t\" already exists"
    );
    s.execute("CREATE TABLE IF NOT EXISTS t (x INT)").unwrap();
    assert_eq!(
        err(&mut s, "CREATE TABLE u (a INT, a TEXT)").message,
        "column \"a\" specified more than once"
    );
    assert_eq!(
        err(
            &mut s,
            "CREATE TABLE u (a INT PRIMARY KEY, b INT PRIMARY KEY)"
        )
        .message,
        "multiple primary keys for table \"u\" are not allowed"
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE u (a INT CHECK (a + 1))").message,
        "argument of CHECK must be type boolean, not type integer"
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE u (a INT DEFAULT 'abc')").message,
        "invalid input syntax for type integer: \"abc\""
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE u (a SERIAL)").message,
        "not supported: type SERIAL"
    );
    assert!(
        s.table("u").is_none(),
        "failed CREATE leaves nothing behind"
    );
}

#[test]
fn insert_multi_row_column_list_and_defaults() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY, v TEXT DEFAULT 'd', n INT);");
    let o = one(&mut s, "INSERT INTO t (n, id) VALUES (7, 2), (8, 1)");
    assert_eq!(
        (o.kind, o.rows_affected, o.lock),
        (StatementKind::Insert, 2, LockKind::RowExclusive)
    );
    s.execute("INSERT INTO t VALUES (3, DEFAULT, NULL); INSERT INTO t VALUES (4)")
        .unwrap();
    assert_eq!(ints(&s, "t", 0), [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(
        rows(&s, "t")[3],
        vec![Value::Int(4), Value::Text("d".into()), Value::Null]
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t (id) VALUES (5, 6)").message,
        "INSERT has more expressions than target columns"
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t (id, n) VALUES (5)").message,
        "INSERT has more target columns than expressions"
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t (nope) VALUES (5)").message,
        "column \"nope\" of relation \"t\" does not exist"
    );
    assert_eq!(
        err(&mut s, "INSERT INTO missing VALUES (1)").message,
        "relation \"missing\" does not exist"
    );
}

#[test]
fn insert_type_errors_name_column_and_types() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY, b BOOLEAN, v VARCHAR(2));");
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (1, 1, 'x')").message,
        "column \"b\" is of type boolean but expression is of type integer"
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (1, true, 'xyz')").message,
        "value too long for type character varying(2)"
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES ('abc', true, 'x')").message,
        "invalid input syntax for type integer: \"abc\""
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (2147483648, true, 'x')").message,
        "integer out of range"
    );
}

#[test]
fn constraint_violations_say_which_statement_row_and_constraint() {
    let mut s = store(
        "CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT CHECK (qty >= 0));
         INSERT INTO t VALUES (1, 'a', 1);",
    );
    let e = err(
        &mut s,
        "INSERT INTO t VALUES (2, 'b', 1); INSERT INTO t VALUES (3, 'c', 0), (1, 'x', 5)",
    );
    assert_eq!(e.statement, 1);
    assert_eq!(
        e.message,
        "duplicate key value violates unique constraint \"t_pkey\""
    );
    assert_eq!(e.detail.as_deref(), Some("Key (id)=(1) already exists."));
    let e = err(&mut s, "INSERT INTO t (id, qty) VALUES (9, 1)");
    assert_eq!(
        e.message,
        "null value in column \"name\" of relation \"t\" violates not-null constraint"
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Failing row contains (9, null, 1).")
    );
    let e = err(&mut s, "UPDATE t SET qty = qty - 5 WHERE id = 1");
    assert_eq!(
        e.message,
        "new row for relation \"t\" violates check constraint \"t_qty_check\""
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Failing row contains (1, a, -4).")
    );
    // Statement 0 committed, statement 1 left nothing.
    assert_eq!(ints(&s, "t", 0), [Some(1), Some(2)]);
}

#[test]
fn update_sets_from_old_values_and_moves_rows() {
    let mut s =
        store("CREATE TABLE t (a INT, b INT); INSERT INTO t VALUES (1, 10), (2, 20), (3, 30);");
    let o = one(&mut s, "UPDATE t SET a = b, b = a WHERE a >= 2");
    assert_eq!((o.rows_affected, o.rows_scanned), (2, 3));
    // No primary key: physical order, updated rows at the end.
    assert_eq!(ints(&s, "t", 0), [Some(1), Some(20), Some(30)]);
    assert_eq!(ints(&s, "t", 1), [Some(10), Some(2), Some(3)]);
    assert_eq!(
        err(&mut s, "UPDATE t SET a = 1, a = 2").message,
        "multiple assignments to same column \"a\""
    );
    assert_eq!(
        err(&mut s, "UPDATE t SET a = 1 WHERE a").message,
        "argument of WHERE must be type boolean, not type integer"
    );
    assert_eq!(
        err(&mut s, "UPDATE t SET zz = 1").message,
        "column \"zz\" of relation \"t\" does not exist"
    );
}

#[test]
fn update_checks_uniqueness_row_by_row_like_postgres() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let e = err(&mut s, "UPDATE t SET id = id + 1");
    assert_eq!(e.detail.as_deref(), Some("Key (id)=(2) already exists."));
    assert_eq!(ints(&s, "t", 0), [Some(1), Some(2)]);
    one(&mut s, "UPDATE t SET id = id + 10");
    assert_eq!(ints(&s, "t", 0), [Some(11), Some(12)]);
}

#[test]
fn constant_errors_fail_even_when_no_row_matches() {
    let mut s = store("CREATE TABLE t (id INT); INSERT INTO t VALUES (1);");
    assert_eq!(
        err(&mut s, "UPDATE t SET id = 1/0 WHERE false").message,
        "division by zero"
    );
    assert_eq!(
        err(&mut s, "DELETE FROM t WHERE id = 'x'").message,
        "invalid input syntax for type integer: \"x\""
    );
}

#[test]
fn delete_with_and_without_where() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, NULL), (2, 5), (3, 6);");
    let o = one(&mut s, "DELETE FROM t WHERE v <> 5");
    assert_eq!((o.kind, o.rows_affected), (StatementKind::Delete, 1));
    assert_eq!(
        ints(&s, "t", 0),
        [Some(1), Some(2)],
        "NULL <> 5 is not true"
    );
    assert_eq!(one(&mut s, "DELETE FROM t").rows_affected, 2);
    assert!(rows(&s, "t").is_empty());
}

#[test]
fn foreign_keys_check_children_and_act_on_parents() {
    let mut s = store(
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE CASCADE);
         CREATE TABLE n (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE SET NULL);
         CREATE TABLE r (id INT PRIMARY KEY, p_id INT REFERENCES p ON DELETE RESTRICT);
         INSERT INTO p VALUES (1), (2), (3);
         INSERT INTO c VALUES (1, 1), (2, 1); INSERT INTO n VALUES (1, 1); INSERT INTO r VALUES (1, 3);",
    );
    let e = err(&mut s, "INSERT INTO c VALUES (3, 9)");
    assert_eq!(
        e.message,
        "insert or update on table \"c\" violates foreign key constraint \"c_p_id_fkey\""
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Key (p_id)=(9) is not present in table \"p\".")
    );
    let o = one(&mut s, "DELETE FROM p WHERE id = 1");
    assert_eq!((o.rows_affected, o.rows_cascaded), (1, 3));
    assert!(rows(&s, "c").is_empty());
    assert_eq!(rows(&s, "n"), vec![vec![Value::Int(1), Value::Null]]);
    let e = err(&mut s, "DELETE FROM p WHERE id = 3");
    assert_eq!(
        e.message,
        "update or delete on table \"p\" violates foreign key constraint \"r_p_id_fkey\" on table \"r\""
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Key (id)=(3) is still referenced from table \"r\".")
    );
    assert_eq!(
        err(&mut s, "UPDATE p SET id = 30 WHERE id = 3").message,
        "update or delete on table \"p\" violates foreign key constraint \"r_p_id_fkey\" on table \"r\""
    );
}

#[test]
fn foreign_key_definition_errors() {
    let mut s = store("CREATE TABLE p (id INT PRIMARY KEY, code TEXT, v INT UNIQUE);");
    assert_eq!(
        err(&mut s, "CREATE TABLE c (x INT REFERENCES p (code))").message,
        "there is no unique constraint matching given keys for referenced table \"p\""
    );
    let e = err(&mut s, "CREATE TABLE c (x TEXT REFERENCES p)");
    assert_eq!(
        e.message,
        "foreign key constraint \"c_x_fkey\" cannot be implemented"
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Key columns \"x\" and \"id\" are of incompatible types: text and integer.")
    );
    assert_eq!(
        err(&mut s, "CREATE TABLE c (x INT REFERENCES nope)").message,
        "relation \"nope\" does not exist"
    );
    one(&mut s, "CREATE TABLE c (x BIGINT REFERENCES p (v))");
}

#[test]
fn transactions_commit_roll_back_and_abort() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY);");
    s.execute("BEGIN; INSERT INTO t VALUES (1); COMMIT;")
        .unwrap();
    s.execute("BEGIN; INSERT INTO t VALUES (2); CREATE TABLE u (x INT); ROLLBACK;")
        .unwrap();
    assert_eq!(ints(&s, "t", 0), [Some(1)]);
    assert!(s.table("u").is_none());

    s.execute("BEGIN; INSERT INTO t VALUES (3);").unwrap();
    let e = err(&mut s, "INSERT INTO t VALUES (1)");
    assert_eq!(e.statement, 0);
    assert_eq!(s.transaction_state(), TxState::Aborted);
    let e = err(&mut s, "INSERT INTO t VALUES (4)");
    assert_eq!(
        e.message,
        "current transaction is aborted, commands ignored until end of transaction block"
    );
    assert!(s.execute("BEGIN").is_err(), "BEGIN is refused too");
    let o = one(&mut s, "COMMIT");
    assert_eq!(
        o.kind,
        StatementKind::Rollback,
        "COMMIT of an aborted transaction rolls back"
    );
    assert_eq!(s.transaction_state(), TxState::Idle);
    assert_eq!(ints(&s, "t", 0), [Some(1)]);

    s.execute("BEGIN; INSERT INTO t VALUES (5); SELECT 1/0;")
        .unwrap_err();
    s.execute("ROLLBACK; INSERT INTO t VALUES (6)").unwrap();
    assert_eq!(ints(&s, "t", 0), [Some(1), Some(6)]);
}

#[test]
fn end_session_rolls_back_an_open_transaction() {
    let mut s = store("CREATE TABLE t (id INT); BEGIN; INSERT INTO t VALUES (1);");
    assert_eq!(s.transaction_state(), TxState::Open);
    s.end_session();
    assert!(rows(&s, "t").is_empty());
    assert_eq!(s.transaction_state(), TxState::Idle);
}

#[test]
fn alter_table_add_drop_rename() {
    let mut s = store(
        "CREATE TABLE t (id INT PRIMARY KEY, a INT, b TEXT); INSERT INTO t VALUES (1, 1, 'x');
         CREATE INDEX ON t (a);",
    );
    let o = one(&mut s, "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 7");
    assert!(!o.table_rewrite, "a constant default does not rewrite");
    assert_eq!(o.lock, LockKind::AccessExclusive);
    assert_eq!(rows(&s, "t")[0][3], Value::Int(7));
    assert_eq!(
        err(&mut s, "ALTER TABLE t ADD COLUMN d INT NOT NULL").message,
        "column \"d\" of relation \"t\" contains null values"
    );
    one(&mut s, "ALTER TABLE t DROP COLUMN a");
    assert_eq!(
        s.table("t").unwrap().indexes().len(),
        1,
        "the index on a went with it"
    );
    one(&mut s, "ALTER TABLE t RENAME COLUMN b TO bee");
    one(&mut s, "ALTER TABLE t RENAME TO t2");
    assert!(s.table("t").is_none());
    let cols: Vec<&str> = s
        .table("t2")
        .unwrap()
        .columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(cols, ["id", "bee", "c"]);
    assert_eq!(
        err(&mut s, "ALTER TABLE t2 DROP COLUMN nope").message,
        "column \"nope\" of relation \"t2\" does not exist"
    );
    assert_eq!(
        err(&mut s, "ALTER TABLE t2 RENAME COLUMN bee TO c").message,
        "column \"c\" of relation \"t2\" already exists"
    );
}

#[test]
fn alter_column_type_rewrites_and_validates() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY, v TEXT, w VARCHAR(5)); INSERT INTO t VALUES (1, '12', 'ab');");
    let o = one(&mut s, "ALTER TABLE t ALTER COLUMN v TYPE INT USING v::int");
    assert!(o.table_rewrite);
    assert_eq!(o.lock, LockKind::AccessExclusive);
    assert_eq!(rows(&s, "t")[0][1], Value::Int(12));
    let o = one(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE VARCHAR(10)");
    assert!(!o.table_rewrite, "a longer VARCHAR is binary-compatible");
    assert_eq!(
        err(&mut s, "ALTER TABLE t ALTER COLUMN w TYPE DATE").message,
        "column \"w\" cannot be cast automatically to type date"
    );
    assert_eq!(
        err(
            &mut s,
            "ALTER TABLE t ALTER COLUMN w TYPE DATE USING w::date"
        )
        .message,
        "invalid input syntax for type date: \"ab\""
    );
    assert_eq!(
        s.table("t").unwrap().columns()[2].ty,
        SqlType::Varchar(Some(10))
    );
}

#[test]
fn alter_column_not_null_and_defaults() {
    let mut s =
        store("CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, NULL);");
    let e = err(&mut s, "ALTER TABLE t ALTER COLUMN v SET NOT NULL");
    assert_eq!(
        e.message,
        "column \"v\" of relation \"t\" contains null values"
    );
    s.execute("UPDATE t SET v = 0").unwrap();
    let o = one(&mut s, "ALTER TABLE t ALTER COLUMN v SET NOT NULL");
    assert_eq!((o.rows_scanned, o.table_rewrite), (1, false));
    s.execute("ALTER TABLE t ALTER COLUMN v SET DEFAULT 3; INSERT INTO t (id) VALUES (2)")
        .unwrap();
    assert_eq!(ints(&s, "t", 1), [Some(0), Some(3)]);
    s.execute(
        "ALTER TABLE t ALTER COLUMN v DROP DEFAULT; ALTER TABLE t ALTER COLUMN v DROP NOT NULL",
    )
    .unwrap();
    s.execute("INSERT INTO t (id) VALUES (3)").unwrap();
    assert_eq!(
        err(&mut s, "ALTER TABLE t ALTER COLUMN id DROP NOT NULL").message,
        "column \"id\" is in a primary key"
    );
}

#[test]
fn alter_add_and_drop_constraints() {
    let mut s = store("CREATE TABLE t (id INT, v INT); INSERT INTO t VALUES (1, 5), (1, 6);");
    let e = err(&mut s, "ALTER TABLE t ADD PRIMARY KEY (id)");
    assert_eq!(e.message, "could not create unique index \"t_pkey\"");
    assert_eq!(e.detail.as_deref(), Some("Key (id)=(1) is duplicated."));
    assert_eq!(
        err(&mut s, "ALTER TABLE t ADD CONSTRAINT big CHECK (v > 5)").message,
        "check constraint \"big\" of relation \"t\" is violated by some row"
    );
    one(
        &mut s,
        "ALTER TABLE t ADD CONSTRAINT big CHECK (v > 5) NOT VALID",
    );
    let o = one(&mut s, "ALTER TABLE t ADD UNIQUE (v)");
    assert_eq!(o.index_builds, 1);
    one(&mut s, "ALTER TABLE t DROP CONSTRAINT big");
    assert_eq!(
        err(&mut s, "ALTER TABLE t DROP CONSTRAINT big").message,
        "constraint \"big\" of relation \"t\" does not exist"
    );
    s.execute("CREATE TABLE c (v INT REFERENCES t (v))")
        .unwrap();
    assert_eq!(
        err(&mut s, "ALTER TABLE t DROP CONSTRAINT t_v_key").message,
        "cannot drop constraint t_v_key on table t because other objects depend on it"
    );
    one(&mut s, "ALTER TABLE t DROP CONSTRAINT t_v_key CASCADE");
    assert!(s.table("c").unwrap().constraints().is_empty());
}

#[test]
fn create_and_drop_index() {
    let mut s =
        store("CREATE TABLE t (id INT PRIMARY KEY, a INT); INSERT INTO t VALUES (1, 1), (2, 1);");
    let o = one(&mut s, "CREATE INDEX ON t (a)");
    assert_eq!(
        (o.kind, o.lock, o.rows_scanned, o.index_builds),
        (StatementKind::CreateIndex, LockKind::Share, 2, 1)
    );
    assert_eq!(
        one(&mut s, "CREATE INDEX CONCURRENTLY t_a2 ON t (a)").lock,
        LockKind::ShareUpdateExclusive
    );
    assert_eq!(s.table("t").unwrap().indexes()[1].name, "t_a_idx");
    assert_eq!(
        err(&mut s, "CREATE INDEX t_a_idx ON t (a)").message,
        "relation \"t_a_idx\" already exists"
    );
    assert_eq!(
        err(&mut s, "CREATE UNIQUE INDEX ON t (a)").message,
        "could not create unique index \"t_a_idx1\""
    );
    assert_eq!(
        err(&mut s, "DROP INDEX t_pkey").message,
        "cannot drop index t_pkey because constraint t_pkey on table t requires it"
    );
    one(&mut s, "DROP INDEX t_a_idx");
    assert_eq!(
        err(&mut s, "DROP INDEX t_a_idx").message,
        "index \"t_a_idx\" does not exist"
    );
    one(&mut s, "DROP INDEX IF EXISTS t_a_idx");
    assert_eq!(
        err(&mut s, "CREATE INDEX ON t ((a + 1))").message,
        "not supported: indexes on expressions or with operator classes"
    );
}

#[test]
fn drop_table_respects_dependencies() {
    let mut s =
        store("CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (p_id INT REFERENCES p);");
    let e = err(&mut s, "DROP TABLE p");
    assert_eq!(
        e.message,
        "cannot drop table p because other objects depend on it"
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("constraint c_p_id_fkey on table c depends on table p")
    );
    one(&mut s, "DROP TABLE p CASCADE");
    assert!(s.table("c").unwrap().constraints().is_empty());
    assert_eq!(
        err(&mut s, "DROP TABLE p").message,
        "table \"p\" does not exist"
    );
    one(&mut s, "DROP TABLE IF EXISTS p, c");
    assert_eq!(s.tables().count(), 0);
}

#[test]
fn select_is_checked_and_counted() {
    let mut s = store("CREATE TABLE t (id INT, v INT); INSERT INTO t VALUES (1, 1), (2, 0);");
    let o = one(&mut s, "SELECT * FROM t WHERE v = 1");
    assert_eq!(
        (o.kind, o.rows_affected, o.rows_scanned, o.lock),
        (StatementKind::Select, 1, 2, LockKind::AccessShare)
    );
    assert_eq!(
        err(&mut s, "SELECT id / v FROM t").message,
        "division by zero"
    );
    assert_eq!(
        err(&mut s, "SELECT count(*) FROM t").message,
        "not supported: function count"
    );
}

#[test]
fn unsupported_sql_is_an_error_never_a_no_op() {
    let mut s = store("CREATE TABLE t (id INT PRIMARY KEY);");
    for sql in [
        "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 2",
        "UPDATE t SET id = 1 FROM t AS x",
        "DELETE FROM t USING t AS x",
        "CREATE VIEW v AS SELECT 1",
        "SAVEPOINT a",
        "TRUNCATE t",
        "CREATE TEMPORARY TABLE x (a INT)",
        "ALTER TABLE t ADD COLUMN x INT GENERATED ALWAYS AS (id + 1) STORED",
        "CREATE TABLE x (a INT REFERENCES t ON UPDATE CASCADE)",
    ] {
        let e = err(&mut s, sql);
        assert!(
            e.message.starts_with("not supported"),
            "{sql}: {}",
            e.message
        );
    }
    assert!(err(&mut s, "INSERT INTO")
        .message
        .starts_with("syntax error"));
    // Statements the store does not run are named by their first words.
    for (sql, msg) in [
        ("GRANT SELECT ON t TO u", "not supported: statement GRANT"),
        (
            "CREATE VIEW v AS SELECT 1",
            "not supported: statement CREATE VIEW",
        ),
        (
            "ALTER INDEX i RENAME TO j",
            "not supported: statement ALTER INDEX",
        ),
        ("SAVEPOINT a", "not supported: statement SAVEPOINT"),
        (
            "ROLLBACK TO SAVEPOINT a",
            "not supported: ROLLBACK TO SAVEPOINT",
        ),
        (
            "SELECT * ",
            "SELECT * with no tables specified is not valid",
        ),
        // A parenthesised query parses; the store then refuses the nesting itself.
        (
            "(SELECT id FROM t)",
            "not supported: set operations and VALUES queries",
        ),
    ] {
        assert_eq!(err(&mut s, sql).message, msg, "{sql}");
    }
    // And the kinds it runs still parse from their first words.
    let ok = "BEGIN; CREATE UNIQUE INDEX i ON t (id); SELECT id FROM t; END; \
              START TRANSACTION; ALTER TABLE t ADD COLUMN v INT; ABORT; DROP INDEX i;";
    assert_eq!(s.execute(ok).map(|o| o.len()), Ok(8));
}

#[test]
fn statement_index_counts_from_zero_within_the_text() {
    let mut s = SqlStore::new();
    let e = err(
        &mut s,
        "CREATE TABLE t (id INT);; INSERT INTO t VALUES (1); INSERT INTO t VALUES ('x')",
    );
    assert_eq!(e.statement, 2);
    assert_eq!(
        e.to_string(),
        "statement 3: invalid input syntax for type integer: \"x\""
    );
}

#[test]
fn limits_give_clear_errors() {
    let mut s = SqlStore::new();
    let long = "x".repeat(SQL_TEXT_BYTES_MAX + 1);
    assert!(err(&mut s, &long)
        .message
        .starts_with("not supported: SQL text longer"));
    let cols: Vec<String> = (0..=COLUMNS_PER_TABLE_MAX)
        .map(|i| format!("c{i} INT"))
        .collect();
    let e = err(&mut s, &format!("CREATE TABLE wide ({})", cols.join(", ")));
    assert_eq!(e.message, "tables can have at most 1600 columns");
}

#[test]
fn identifiers_fold_to_lower_case_unless_quoted() {
    let mut s = store("CREATE TABLE \"Mixed\" (\"Id\" INT, Val INT); INSERT INTO \"Mixed\" (\"Id\", VAL) VALUES (1, 2);");
    let t = s.table("Mixed").unwrap();
    assert_eq!(t.columns()[1].name, "val");
    assert_eq!(
        err(&mut s, "INSERT INTO mixed VALUES (1, 2)").message,
        "relation \"mixed\" does not exist"
    );
}
