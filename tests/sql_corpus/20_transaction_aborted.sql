-- The failing statement aborts the transaction; psql stops and the session ends,
-- so nothing from the transaction survives.
CREATE TABLE t (id INT PRIMARY KEY);
INSERT INTO t VALUES (1);
BEGIN;
INSERT INTO t VALUES (2);
INSERT INTO t VALUES (1);
INSERT INTO t VALUES (3);
COMMIT;
