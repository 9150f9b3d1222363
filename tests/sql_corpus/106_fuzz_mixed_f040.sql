CREATE TABLE t (id INT PRIMARY KEY, i INT, g BIGINT, m SMALLINT, n NUMERIC(6,2), u NUMERIC,
                r REAL, f DOUBLE PRECISION, s TEXT, v VARCHAR(4), b BOOLEAN, d DATE, ts TIMESTAMP,
                CHECK (i <> 13));
INSERT INTO t VALUES (1, 1, 2, 3, 4.5, 0.1, 1.5, 2.5, 'a', 'b', true, '2024-01-31', '2024-01-31 12:00'),
                     (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                     (3, -7, 9000000000, -32768, -0.01, 123.456, 'NaN', 1e300, '', 'xyz', false, '1999-12-31', '2000-02-29 23:59:59.5');
UPDATE t SET s = true WHERE 2.25;
