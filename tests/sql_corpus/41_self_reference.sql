CREATE TABLE emp (id INT PRIMARY KEY, boss INT REFERENCES emp (id) ON DELETE CASCADE, name TEXT);
INSERT INTO emp VALUES (1, NULL, 'ceo'), (2, 1, 'vp'), (3, 2, 'dev'), (4, NULL, 'other');
DELETE FROM emp WHERE id = 1;
