ALTER TABLE notes ADD COLUMN body_length integer;
UPDATE notes SET body_length = char_length(body);
