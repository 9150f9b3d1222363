-- Basic table, multi-row insert, column list, defaults.
CREATE TABLE users (
    id INT PRIMARY KEY,
    name TEXT NOT NULL,
    active BOOLEAN DEFAULT true,
    score INT DEFAULT 10
);
INSERT INTO users VALUES (2, 'bob', false, 5), (1, 'alice', true, 7);
INSERT INTO users (id, name) VALUES (3, 'carol');
INSERT INTO users (name, id, score) VALUES ('dave', 4, DEFAULT);
