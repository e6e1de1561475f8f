-- The social service providers register (MK No. 951; docs/partners/portal-providers.md).
--
-- provider_application: what a provider's representative sent through the portal and what the
-- Ministry decided. A registration is applied for, then approved or refused; while it is pending
-- the provider may replace it (a new version of the same row), and while it is approved the
-- provider may ask for an amendment (a new row of kind 'amendment') that the Ministry decides the
-- same way. One provider has at most one pending and one approved application at a time.
CREATE TABLE provider_application (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reg_no           text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('registration', 'amendment')),
  status           text NOT NULL CHECK (status IN ('applied', 'approved', 'refused', 'withdrawn', 'superseded')),
  name             text NOT NULL,
  email            text,
  phone            text,
  requested_start  date NOT NULL,
  -- [{serviceType, addresses: [{address, atvk}]}], as applied for.
  services         jsonb NOT NULL,
  -- The person who applied for the provider (personal data: read by the Ministry, audited).
  representative   text NOT NULL,
  -- The portal's jti of the request that made this version: the same jti again is the same submission.
  request_id       text NOT NULL,
  version          int NOT NULL DEFAULT 1,
  applied_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  decided_at       timestamptz,
  decided_by       text,
  valid_from       date,
  valid_to         date,
  reason           text,
  withdrawn_on     date,
  CHECK (email IS NOT NULL OR phone IS NOT NULL),
  CHECK ((status = 'refused') = (reason IS NOT NULL)),
  CHECK (status NOT IN ('approved', 'superseded') OR valid_from IS NOT NULL),
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX provider_application_pending ON provider_application (reg_no) WHERE status = 'applied';
CREATE UNIQUE INDEX provider_application_approved ON provider_application (reg_no) WHERE status = 'approved';
CREATE UNIQUE INDEX provider_application_request ON provider_application (reg_no, request_id);
CREATE INDEX provider_application_by_status ON provider_application (status, id);

-- The public register: the provider as last approved.
CREATE TABLE provider (
  reg_no      text PRIMARY KEY,
  name        text NOT NULL,
  email       text,
  phone       text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (service type, address) and term, never deleted: the register's history. A
-- provider is registered for service S on day D when a row of (reg_no, S) has
-- valid_from <= D <= coalesce(valid_to, D). An approved amendment or a withdrawal ends the rows
-- still running (valid_to = the day before the amendment's validFrom, or the withdrawal date); a
-- row that had not begun by then keeps an empty term (valid_to = valid_from - 1): it was
-- registered and never in force.
CREATE TABLE provider_service_term (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reg_no          text NOT NULL REFERENCES provider (reg_no),
  service_type    text NOT NULL,
  address         text NOT NULL,
  atvk            text NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  application_id  bigint NOT NULL REFERENCES provider_application (id),
  ended_by        text CHECK (ended_by IN ('amendment', 'withdrawal')),
  CHECK (valid_to IS NULL OR valid_to >= valid_from - 1)
);
-- "Registered for S on D" (check 10, one provider) and the public lookup (one service, one municipality).
CREATE INDEX provider_service_term_provider ON provider_service_term (reg_no, service_type, valid_from);
CREATE INDEX provider_service_term_lookup ON provider_service_term (service_type, atvk, valid_from);
