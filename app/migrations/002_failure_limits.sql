-- Verification failure limits over a long window (NIST SP 800-63B-4 §3.2.2: at most 100 consecutive
-- failed attempts per account). The CHECK keeps every tenant within that bound; the window is how long
-- a number's failure state lives after its last counted failure.

ALTER TABLE tenants
  ADD COLUMN max_consecutive_failures smallint NOT NULL DEFAULT 50
    CHECK (max_consecutive_failures BETWEEN 1 AND 100),
  ADD COLUMN failure_window_seconds integer NOT NULL DEFAULT 2592000
    CHECK (failure_window_seconds BETWEEN 86400 AND 31536000);
