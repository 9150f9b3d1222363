CREATE TABLE "Quoted Name" ("Id" INT PRIMARY KEY, val VARCHAR(5) NOT NULL DEFAULT 'n');
INSERT INTO "Quoted Name" ("Id") VALUES (1);
INSERT INTO "Quoted Name" VALUES (2, 'two');
SELECT * FROM "Quoted Name" WHERE "Id" = 1;
