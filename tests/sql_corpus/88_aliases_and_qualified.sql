CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 1), (2, 2);
UPDATE t AS x SET v = x.v + 10 WHERE x.id = 1;
DELETE FROM t AS y WHERE y.v = 2;
UPDATE t SET v = t.v * 2 WHERE t.id = 1;
