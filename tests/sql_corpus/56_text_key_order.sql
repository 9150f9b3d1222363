CREATE TABLE t (s TEXT PRIMARY KEY);
INSERT INTO t VALUES ('b'), ('B'), ('a'), ('é'), (''), ('a b'), ('ab');
