-- session_lookup: the user, start and last-seen time of the session keyed :token_sha256.
SELECT
    user_name,
    created_at,
    last_seen_at
FROM sign_in_sessions
WHERE token_sha256 = :token_sha256
