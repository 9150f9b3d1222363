-- PostgreSQL checks uniqueness row by row, so shifting keys up collides.
CREATE TABLE k (id INT PRIMARY KEY, v TEXT);
INSERT INTO k VALUES (1, 'one'), (2, 'two'), (3, 'three');
UPDATE k SET id = id + 10 WHERE id = 3;
UPDATE k SET id = id + 1;
