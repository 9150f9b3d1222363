CREATE TABLE s (id INT PRIMARY KEY, grp TEXT, amount NUMERIC(10,2));
INSERT INTO s VALUES (1, 'a', 10), (2, 'a', 20.5), (3, 'b', 1.25);
UPDATE s SET amount = amount * 1.1 WHERE grp = 'a';
UPDATE s SET amount = amount / 3 WHERE grp = 'b';
