-- start_session: a new sign-in session, keyed by the SHA-256 of the cookie's token.
INSERT INTO sign_in_sessions (token_sha256, user_name, created_at, last_seen_at)
VALUES (:token_sha256, :user_name, :now, :now)
