-- Without a primary key rows print in physical order; an updated row moves to the end.
CREATE TABLE log (msg TEXT, n INT);
INSERT INTO log VALUES ('first', 1), ('second', 2), ('third', 3);
UPDATE log SET n = n * 10 WHERE msg = 'first';
DELETE FROM log WHERE n = 2;
INSERT INTO log VALUES ('fourth', 4);
