CREATE TABLE t (id INT PRIMARY KEY, a INT, s TEXT, b BOOLEAN);
INSERT INTO t VALUES
  (1, 2 + 3 * 4 - 10 / 3 % 2, 'x' || 1 + 2, NOT 1 = 2 AND 3 > 2 OR false),
  (2, -2 * -3, 'a' || 'b' || 'c', 1 = 1 IS TRUE),
  (3, (2 + 3) * 4, E'tab\there', 2 BETWEEN 1 AND 3 AND 5 NOT BETWEEN 1 AND 3),
  (4, -2147483648 / 2 + 0 * 0, $$dollar 'quoted'$$, NULL IS NULL),
  (5, 7 % -3 + -7 % 3, 'con'
     'tinued', 3 IN (1, 2, 3) AND NOT 4 IN (1, 2)),
  (6, CAST('12' AS INT) + '3'::int * 2, 'it''s', NULL IS NOT DISTINCT FROM NULL);
UPDATE t SET s = s || '!' WHERE id IN (1, 3) AND NOT (a > 100 OR a IS NULL);
DELETE FROM t AS x WHERE x.id = 6 OR x.a < -1000;
SELECT id, a AS alias, s FROM t WHERE b ORDER BY id DESC LIMIT 2 OFFSET 1;
INSERT INTO t VALUES (7, 1 +, 'y', true);
