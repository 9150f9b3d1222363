CREATE TABLE team (id INT PRIMARY KEY, name TEXT);
CREATE TABLE member (id INT PRIMARY KEY, team_id INT REFERENCES team (id) ON DELETE SET NULL, name TEXT);
INSERT INTO team VALUES (1, 'red'), (2, 'blue');
INSERT INTO member VALUES (1, 1, 'ann'), (2, 2, 'ben'), (3, 1, 'cy');
DELETE FROM team WHERE name = 'red';
