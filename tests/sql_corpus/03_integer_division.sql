-- Integer division truncates toward zero; modulo takes the dividend's sign.
CREATE TABLE m (a INT PRIMARY KEY, b INT, q INT, r INT, nq NUMERIC);
INSERT INTO m (a, b) VALUES (7, 2), (-7, 2), (7, -2), (-7, -2), (1, 3);
UPDATE m SET q = a / b, r = a % b, nq = a::numeric / b;
