-- add_user: a new user; the name is UNIQUE, so a second user of that name fails.
INSERT INTO users (name, role, password_hash, created_at, updated_at)
VALUES (:name, :role, :password_hash, :now, :now)
