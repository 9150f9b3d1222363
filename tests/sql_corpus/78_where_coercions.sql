CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(5,2), r REAL, v VARCHAR(5), s TEXT, b BOOLEAN, d DATE, ts TIMESTAMP, hit BOOLEAN DEFAULT false);
INSERT INTO t VALUES (1, 1, 0.1, 'ab', 'ab', true, '2024-01-01', '2024-01-01 00:00:01', false), (2, 1.5, 0.5, 'x', 'y', false, '2024-01-02', '2024-01-01', false);
UPDATE t SET hit = true WHERE n = 1 AND r = 0.1;
UPDATE t SET hit = true WHERE v = s AND b AND d = '2024-01-01' AND ts > '2024-01-01';
UPDATE t SET hit = NOT hit WHERE r = 0.5 AND b = 'f' AND NOT b;
