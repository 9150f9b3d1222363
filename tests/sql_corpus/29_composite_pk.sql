CREATE TABLE enroll (student INT, course TEXT, grade NUMERIC(3,1), PRIMARY KEY (course, student));
INSERT INTO enroll VALUES (2, 'math', 3.75), (1, 'math', 2), (1, 'art', 4.04), (3, 'art', NULL);
INSERT INTO enroll VALUES (1, 'math', 1);
