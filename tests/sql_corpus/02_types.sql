-- Every supported type, written as PostgreSQL prints it.
CREATE TABLE t (
    id BIGINT PRIMARY KEY,
    s SMALLINT,
    i INTEGER,
    r REAL,
    d DOUBLE PRECISION,
    n NUMERIC(8,3),
    u NUMERIC,
    v VARCHAR(5),
    b BOOLEAN,
    dt DATE,
    ts TIMESTAMP
);
INSERT INTO t VALUES (1, 32767, -2147483648, 1.1, 0.1, 12.5, 1.50, 'abc', 'yes', '2024-02-29', '2024-01-31 12:00:00');
INSERT INTO t VALUES (2, -32768, 2147483647, 1e6, 1e15, '-0.0005', '1e3', '', 'off', '1999-12-31', '2024-01-31T23:59:59.25');
INSERT INTO t VALUES (3, NULL, NULL, 'NaN', '-Infinity', NULL, 7, NULL, NULL, NULL, '2000-01-01');
INSERT INTO t (id, d, r) VALUES (4, 1.0/3, 123456.7), (5, 0.00001, 0.000123);
