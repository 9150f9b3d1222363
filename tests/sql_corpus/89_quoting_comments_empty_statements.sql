/* block comment */ create table "my table" ("the id" int primary key, "Value" text); -- trailing
insert into "my table" values (1, 'a');;; INSERT INTO "my table" VALUES (2, 'b');
Update "my table" Set "Value" = upper("Value") Where "the id" = 2;
