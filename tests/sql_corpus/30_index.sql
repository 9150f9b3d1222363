CREATE TABLE e (id INT PRIMARY KEY, email TEXT, city TEXT);
INSERT INTO e VALUES (1, 'a@x', 'oslo'), (2, 'b@x', 'oslo');
CREATE INDEX ON e (city);
CREATE INDEX e_city_email ON e (city, email);
CREATE UNIQUE INDEX e_email_uq ON e (email);
DROP INDEX e_city_email;
INSERT INTO e VALUES (3, 'c@x', 'rome');
INSERT INTO e VALUES (4, 'a@x', 'rome');
