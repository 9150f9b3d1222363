CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(5,2), i INT);
INSERT INTO t VALUES (1, 1.5::float8, 2.5::float8), (2, '1.255', 3.5::float8), (3, 0.125::real, -2.5);
