CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, label TEXT);
INSERT INTO items VALUES (1, 5, 'a'), (2, 0, 'b'), (3, 12, NULL), (4, 7, 'd');
UPDATE items SET qty = qty * 2, label = COALESCE(label, 'none') || '!' WHERE qty BETWEEN 1 AND 10 OR label IS NULL;
DELETE FROM items WHERE qty = 0;
DELETE FROM items WHERE label IN ('x', 'y');
