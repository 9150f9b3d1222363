CREATE TABLE t (id INT PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 5), (2, 1.50), (3, true), (4, '2024-01-01'::date), (5, 2.5::real), (6, 1e20::float8);
