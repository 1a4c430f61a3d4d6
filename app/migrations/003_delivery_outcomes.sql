-- Delivery retries until the code expires instead of a fixed number of attempts, so a failed
-- delivery now says why: the provider refused it for good (rejected), or stayed unavailable until
-- the code was useless (expired_undelivered). dead_lettered remains for jobs that cannot be opened.
ALTER TABLE otp_send_log DROP CONSTRAINT otp_send_log_status_check;
ALTER TABLE otp_send_log ADD CONSTRAINT otp_send_log_status_check
  CHECK (status IN ('delivered', 'rejected', 'expired_undelivered', 'dead_lettered'));

-- attempts counts calls to the provider. A job read after its code expired is finished without one,
-- and a re-driven job adds its calls to those of its earlier outcome.
ALTER TABLE otp_send_log DROP CONSTRAINT otp_send_log_attempts_check;
ALTER TABLE otp_send_log ADD CONSTRAINT otp_send_log_attempts_check CHECK (attempts >= 0);
