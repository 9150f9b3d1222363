CREATE TABLE t (id INT PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 'a');
INSERT INTO t (id, v) VALUES (2, 'b'), (3, 'c')
/* a comment /* nested */ still comment */ ;
-- a line comment
UPDATE t SET v = 'z' WHERE id = 2;
INSERT INTO t VALUES (4, 'd') junk;
