-- record_sign_in_failure: an account's failure count, last failure and lock, set anew.
INSERT INTO sign_in_failures (account, failures, last_failed_at, locked_until)
VALUES (:account, :failures, :now, :locked_until)
ON CONFLICT (account) DO UPDATE SET
    failures = excluded.failures,
    last_failed_at = excluded.last_failed_at,
    locked_until = excluded.locked_until
