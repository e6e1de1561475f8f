-- Complaints, applications and proposals a person submits through the portal
-- (docs/partners/portal-complaints.md). Each gets a registration number of the hub,
-- SP-<year>-<number>, numbered per year in Riga time. The counter row is taken for the length of
-- the submitting transaction, so a rolled-back submission gives its number back: the committed
-- numbers of a year have no gaps. That serialises submissions, which arrive a few a minute.
CREATE TABLE complaint_number (
  year         int PRIMARY KEY,
  last_number  int NOT NULL
);

CREATE TABLE complaint_submission (
  registration_number  text PRIMARY KEY,
  year                 int NOT NULL,
  number               int NOT NULL,
  -- The portal partner and the assertion's jti: a submission sent again with the same jti is
  -- the same submission (docs/partners/portal.md), recognised by this pair.
  channel              text NOT NULL,
  request_id           text NOT NULL,
  -- sha256 of what was submitted (person, kind, topic, institution, text, contact, the
  -- attachments' bytes): the same jti with other content is refused, not taken as a repeat.
  content_sha256       text NOT NULL,
  person_code          text NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('COMPLAINT', 'APPLICATION', 'PROPOSAL')),
  topic                text NOT NULL,
  -- The institution's id in schemas/classifiers/institutions.json (LM, VSAA, … or an ATVK code)
  -- and the registration code its e-address was sent to at the time.
  institution          text NOT NULL,
  institution_reg_no   text NOT NULL,
  municipality         text,
  text                 text NOT NULL,
  contact              jsonb,
  -- Name, content type, size and sha256 of each attachment; the bytes travel in the delivery.
  attachments          jsonb NOT NULL DEFAULT '[]'::jsonb,
  delivery_id          text NOT NULL,
  received_at          timestamptz NOT NULL,
  -- The month of received_at in Riga time (YYYY-MM): what the Ministry's statistics count by.
  period               text NOT NULL,
  UNIQUE (year, number),
  UNIQUE (channel, request_id)
);
CREATE INDEX complaint_submission_person ON complaint_submission (person_code, received_at);
CREATE INDEX complaint_submission_period ON complaint_submission (period, institution);
