CREATE TABLE t (id INT PRIMARY KEY, a INT, b NUMERIC, c DOUBLE PRECISION);
INSERT INTO t VALUES (1, 5, 2.5, 0.5);
UPDATE t SET a = a * b, b = a * c, c = a + b;
