CREATE TABLE parent (id INT PRIMARY KEY, name TEXT);
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT REFERENCES parent (id), note TEXT);
INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
INSERT INTO child VALUES (10, 1, 'ok'), (11, NULL, 'no parent is fine');
INSERT INTO child VALUES (12, 3, 'dangling');
