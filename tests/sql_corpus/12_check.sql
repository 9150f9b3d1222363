CREATE TABLE acct (
    id INT PRIMARY KEY,
    balance NUMERIC(10,2) CHECK (balance >= 0),
    lo INT, hi INT,
    CHECK (lo < hi)
);
INSERT INTO acct VALUES (1, 10, 1, 2), (2, NULL, NULL, 5);
UPDATE acct SET balance = balance - 5;
UPDATE acct SET balance = balance - 6 WHERE id = 1;
