-- Tenants managed by the otp-operator's OtpTenant resources: key rotation with an overlap, disabling
-- instead of deleting (the send log keeps its tenant), and the resource a row belongs to.

ALTER TABLE tenants
  -- The key before the last rotation stays valid until previous_key_expires_at, so clients can switch.
  ADD COLUMN previous_api_key_hash text,
  ADD COLUMN previous_key_expires_at timestamptz,
  -- A disabled tenant is refused like an unknown key; its row and history stay.
  ADD COLUMN disabled_at timestamptz,
  -- "<namespace>/<name>" of the OtpTenant that owns the row (NULL for seeded tenants, which the
  -- operator never touches), and the UID of the resource's incarnation that last wrote it.
  ADD COLUMN managed_by text UNIQUE,
  ADD COLUMN managed_uid uuid,
  ADD CONSTRAINT tenants_previous_key_has_expiry
    CHECK ((previous_api_key_hash IS NULL) = (previous_key_expires_at IS NULL));

-- The lookup reads either hash; keys are 256-bit random, so a previous hash is unique as well.
CREATE UNIQUE INDEX tenants_previous_api_key_hash ON tenants (previous_api_key_hash) WHERE previous_api_key_hash IS NOT NULL;
