CREATE TABLE t (id INT PRIMARY KEY, i INT, n NUMERIC, b BOOLEAN);
INSERT INTO t VALUES (1, '+5', '  1.5  ', 'yes'), (2, '-0', '.5', 'NO'), (3, '007', '5.', ' t'), (4, 0, '-.5', 'Y');
INSERT INTO t VALUES (5, '', 1, true);
