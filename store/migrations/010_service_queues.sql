-- Queues for social services (issue 13, e-service 3; docs/partners/portal-service-queues.md):
-- municipalities and the State Social Care Centre (VSAC) report each queue as a full snapshot. The
-- hub keeps the latest snapshot as the current state, one row per person, and every change of a
-- person's entry as history that is never overwritten.

-- One row per queue. `reporter` is whoever owns the queue id: a municipality's ATVK, or the
-- institution's partner id; a queue id is unique per reporter. `as_of` is the reporter's time of
-- the snapshot held: an older one is refused, so a delayed retry cannot roll positions back.
CREATE TABLE service_queue (
  reporter         text NOT NULL,
  queue_id         text NOT NULL,
  reporter_kind    text NOT NULL CHECK (reporter_kind IN ('municipality', 'institution')),
  -- The municipality the queue serves: a municipality's own ATVK; VSAC's when it names one.
  municipality     text,
  service_type     text NOT NULL,
  name             text NOT NULL,
  provider_reg_no  text,
  as_of            timestamptz NOT NULL,
  -- Counts snapshots that changed something; the same content under a newer asOf keeps it.
  version          int NOT NULL,
  -- sha256 of the snapshot's content without asOf: the same content again is no change.
  content_sha256   text NOT NULL,
  waiting          int NOT NULL,
  granted          int NOT NULL,
  removed          int NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reporter, queue_id)
);
-- The Ministry's summary groups by these.
CREATE INDEX service_queue_type ON service_queue (service_type, municipality);

-- The latest snapshot: one row per person in a queue. `told_*` is what the person was last told
-- (by a notice), or first reported when no notice went yet: the notice rule compares with it, so
-- small daily moves add up to a notice instead of each making one or none.
CREATE TABLE service_queue_entry (
  reporter            text NOT NULL,
  queue_id            text NOT NULL,
  person_code         text NOT NULL,
  status              text NOT NULL CHECK (status IN ('WAITING', 'GRANTED', 'REMOVED')),
  position            int CHECK ((status = 'WAITING') = (position IS NOT NULL)),
  joined_on           date NOT NULL,
  expected_start      date,
  -- The asOf of the snapshot that last changed this entry, and the position before that change.
  changed_at          timestamptz NOT NULL,
  previous_position   int,
  told_status         text NOT NULL,
  told_position       int,
  told_expected_start date,
  PRIMARY KEY (reporter, queue_id, person_code),
  FOREIGN KEY (reporter, queue_id) REFERENCES service_queue (reporter, queue_id)
);
-- A person asks for their positions in every queue: one index probe.
CREATE INDEX service_queue_entry_person ON service_queue_entry (person_code);

-- Every change of a person's entry, by snapshot: ABSENT when a snapshot no longer lists them.
CREATE TABLE service_queue_history (
  reporter        text NOT NULL,
  queue_id        text NOT NULL,
  person_code     text NOT NULL,
  version         int NOT NULL,
  as_of           timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('WAITING', 'GRANTED', 'REMOVED', 'ABSENT')),
  position        int,
  joined_on       date,
  expected_start  date,
  PRIMARY KEY (reporter, queue_id, person_code, version)
);
CREATE INDEX service_queue_history_person ON service_queue_history (person_code);
