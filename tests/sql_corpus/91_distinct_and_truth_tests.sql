CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, dist BOOLEAN, nd BOOLEAN, it BOOLEAN, unk BOOLEAN);
INSERT INTO t (id, a, b) VALUES (1, 1, NULL), (2, NULL, NULL), (3, 1, 1);
UPDATE t SET dist = a IS DISTINCT FROM b, nd = a IS NOT DISTINCT FROM b, it = (a = b) IS TRUE, unk = (a = b) IS UNKNOWN;
