CREATE TABLE t (id INT PRIMARY KEY, i INT);
INSERT INTO t VALUES (1, 2.5), (2, 3.5), (3, -2.5), (4, '2.5'::float8), (5, '3.5'::real);
