CREATE TABLE nn (id INT PRIMARY KEY, name TEXT NOT NULL, note TEXT);
INSERT INTO nn VALUES (1, 'x', NULL);
INSERT INTO nn (id, note) VALUES (2, 'missing name');
