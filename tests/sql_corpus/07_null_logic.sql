-- Three-valued logic: a NULL comparison is neither true nor false.
CREATE TABLE n (id INT PRIMARY KEY, x INT, y INT, and_r BOOLEAN, or_r BOOLEAN, not_r BOOLEAN, eq BOOLEAN, isn BOOLEAN, inl BOOLEAN);
INSERT INTO n (id, x, y) VALUES (1, 1, NULL), (2, NULL, NULL), (3, 1, 2), (4, 0, 1);
UPDATE n SET and_r = (x = 1 AND y = 2), or_r = (x = 1 OR y = 2), not_r = NOT (x = y),
             eq = (x = y), isn = (y IS NULL), inl = x IN (1, NULL);
DELETE FROM n WHERE x <> 1;
