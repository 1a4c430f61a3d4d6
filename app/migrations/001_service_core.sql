-- Tenants, the send log and the insert-only benchmark table.

CREATE TABLE tenants (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                      text NOT NULL UNIQUE,
  -- SHA-256 of the API key. Keys are 256-bit random, so an unsalted hash is safe and allows lookup.
  api_key_hash              text NOT NULL UNIQUE,
  code_length               smallint NOT NULL DEFAULT 6 CHECK (code_length BETWEEN 4 AND 10),
  code_ttl_seconds          integer NOT NULL DEFAULT 300 CHECK (code_ttl_seconds BETWEEN 1 AND 600),
  max_verify_attempts       smallint NOT NULL DEFAULT 5 CHECK (max_verify_attempts BETWEEN 1 AND 20),
  phone_send_limit          integer NOT NULL DEFAULT 5 CHECK (phone_send_limit > 0),
  phone_send_window_seconds integer NOT NULL DEFAULT 3600 CHECK (phone_send_window_seconds > 0),
  daily_send_cap            integer NOT NULL DEFAULT 100000 CHECK (daily_send_cap > 0),
  sender_id                 text NOT NULL DEFAULT 'OTPLAB' CHECK (length(sender_id) BETWEEN 1 AND 11),
  message_template          text NOT NULL DEFAULT 'Your verification code is {code}' CHECK (position('{code}' IN message_template) > 0),
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE otp_send_log (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  otp_id              uuid NOT NULL,
  -- Keyed hash of the phone number (joins a number's history without storing it) and a masked form for humans.
  phone_hash          text NOT NULL,
  phone_masked        text NOT NULL,
  request_id          text NOT NULL,
  status              text NOT NULL CHECK (status IN ('delivered', 'dead_lettered')),
  provider_message_id text,
  attempts            smallint NOT NULL CHECK (attempts > 0),
  provider_latency_ms integer,
  last_error          text,
  accepted_at         timestamptz NOT NULL,
  completed_at        timestamptz NOT NULL,
  logged_at           timestamptz NOT NULL DEFAULT now()
);
-- Reporting reads per tenant over time, and looks up failures; an OTP's history is read by id.
CREATE INDEX otp_send_log_tenant_time ON otp_send_log (tenant_id, accepted_at DESC);
CREATE INDEX otp_send_log_failures ON otp_send_log (accepted_at DESC) WHERE status <> 'delivered';
CREATE UNIQUE INDEX otp_send_log_otp ON otp_send_log (otp_id);

-- Written by the INSERT-only layer benchmark and nothing else (the name comes from the original design).
CREATE TABLE tenant_settings_for_insert_new (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_name         text NOT NULL,
  code_length         smallint NOT NULL,
  code_ttl_seconds    integer NOT NULL,
  max_verify_attempts smallint NOT NULL,
  sender_id           text NOT NULL,
  message_template    text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now()
);
