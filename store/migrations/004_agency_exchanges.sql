-- What the agency exchanges keep (issue 4): VDEĀVK's assistant-service opinions, the delivery
-- outbox (BURVIS profiles to municipal systems, co-participations to BURVIS), the checkpoints of
-- scheduled pulls, and the answers of the hub's SOAP endpoints by RequestId.

-- One row per opinion, the newest change wins (pull and push may bring the same change twice, or
-- an older one after a newer one). Read by the Ministry's cross-checks (store/check-opinion-rules.ts).
CREATE TABLE assistant_opinion (
  opinion_id        text PRIMARY KEY,
  person_code       text NOT NULL,
  disability_group  text NOT NULL,
  kind              text NOT NULL,
  issued_on         date NOT NULL,
  valid_from        date NOT NULL,
  valid_to          date NOT NULL,
  max_hours_per_month int,
  revoked           boolean NOT NULL,
  changed_at        timestamptz NOT NULL,
  source            text NOT NULL,
  stored_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assistant_opinion_person ON assistant_opinion (person_code);

-- The delivery outbox: a row is written (in the same transaction as what caused it) before the
-- job that sends it exists, so a lost job is found again by the reconciler. `id` is what the
-- receiver deduplicates by (notificationId, RequestId); the same change never makes two rows.
CREATE TABLE deliveries (
  id            text PRIMARY KEY,
  route_id      text NOT NULL,
  component     text NOT NULL,
  partner_id    text,
  municipality  text,
  subject       text,
  payload       jsonb NOT NULL,
  status        text NOT NULL,       -- pending | delivered | dead | undeliverable
  attempts      int NOT NULL DEFAULT 0,
  error         text,
  ref           text,
  duplicate     boolean,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  delivered_at  timestamptz
);
CREATE INDEX deliveries_pending ON deliveries (route_id, created_at) WHERE status = 'pending';

-- Where a scheduled pull stands: changes after `since`, and within them the partner's cursor of
-- the next page (null: start of the feed after `since`). Moved only after a page is stored.
CREATE TABLE pull_checkpoints (
  route_id    text PRIMARY KEY,
  since       timestamptz NOT NULL,
  cursor      text,
  newest      timestamptz,
  pages       bigint NOT NULL DEFAULT 0,
  items       bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The hub's SOAP endpoints answer a repeated RequestId with the first answer and no second effect;
-- the same RequestId with another request is refused. Written in the effect's transaction.
CREATE TABLE soap_requests (
  partner_id      text NOT NULL,
  request_id      text NOT NULL,
  operation       text NOT NULL,
  request_sha256  text NOT NULL,
  count           int NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, request_id)
);

-- Dead letters were batches only; deliveries die too. `kind` says which table `data` points into.
ALTER TABLE dead_letters ADD COLUMN kind text NOT NULL DEFAULT 'batch';
