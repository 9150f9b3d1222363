CREATE TABLE t (id INT PRIMARY KEY, x TEXT);
INSERT INTO t VALUES (1, E'tab\there'), (2, 'it''s'), (3, $$dollar$$), (4, 'uni ☃ code');
UPDATE t SET x = x || length(x);
