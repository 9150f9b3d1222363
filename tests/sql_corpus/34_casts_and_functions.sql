CREATE TABLE f (id INT PRIMARY KEY, t TEXT, i INT, n NUMERIC(6,2), b BOOLEAN, d DATE);
INSERT INTO f VALUES
    (1, LOWER('MiXeD') || UPPER('case'), CAST('12' AS INT) + 1, 2.5::numeric * 3, 1::boolean, '2024-01-31'::date + 1),
    (2, 'x' || 42 || true, 7.5::int, '2.345'::numeric, 'f'::boolean, DATE '2024-03-01' - 1),
    (3, COALESCE(NULL, 'fallback'), COALESCE(NULL, NULL, 3), 1.005, NOT true, NULL),
    (4, 'abcdef'::varchar(3), -(-5), -0.5::numeric(3,0), 0 = 1, '2024-12-31');
