CREATE TABLE t (id INT PRIMARY KEY, s TEXT);
INSERT INTO t VALUES (1, 'a' || 1.50), (2, 'a' || 1.5::real), (3, 'a' || DATE '2024-01-01'), (4, CAST(1.5 AS TEXT)), (5, CAST(false AS TEXT)), (6, 10 / 4.0 || ''), (7, (-7.5 % 2) || ''), (8, TIMESTAMP '2024-01-01 10:00' || '');
