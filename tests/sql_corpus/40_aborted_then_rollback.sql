-- A failing statement inside BEGIN; psql stops there, the transaction is lost.
CREATE TABLE t (id INT PRIMARY KEY, v INT CHECK (v > 0));
BEGIN;
INSERT INTO t VALUES (1, 1);
UPDATE t SET v = v - 1;
ROLLBACK;
