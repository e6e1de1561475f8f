-- Loads as the bulk-load protocol sees them (DESIGN.md §4). The batch bytes live here, not in
-- Redis: the queue only ever holds (load, seq) references, so a flushed Redis loses nothing.
CREATE TABLE loads (
  id               text PRIMARY KEY,
  source           text NOT NULL,
  municipality     text NOT NULL,
  period           text NOT NULL,
  partner_id       text NOT NULL,
  route_id         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('receiving','committed','processing','done','failed')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  committed_at     timestamptz,
  finished_at      timestamptz,
  expected_batches int,
  received         int NOT NULL DEFAULT 0,
  accepted         int NOT NULL DEFAULT 0,
  rejected         int NOT NULL DEFAULT 0,
  quality          jsonb
);
CREATE INDEX loads_unfinished ON loads (status) WHERE status IN ('committed','processing');

CREATE TABLE batches (
  load_id      text NOT NULL REFERENCES loads(id),
  seq          int NOT NULL,
  sha256       text NOT NULL,
  content_type text NOT NULL,
  body         bytea NOT NULL,
  size         int NOT NULL,
  record_count int NOT NULL,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','dead')),
  accepted     int,
  rejected     int,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  error        text,
  PRIMARY KEY (load_id, seq)
);

CREATE TABLE rejections (
  load_id     text NOT NULL,
  batch_seq   int NOT NULL,
  idx         int NOT NULL,
  kind        text,
  natural_key text,
  errors      jsonb NOT NULL,
  PRIMARY KEY (load_id, batch_seq, idx)
);

-- The four decision kinds, each keyed by its natural key (classifiers.md). `record` is the
-- canonical JSON (what history keeps); typed columns serve statistics and cross-checks.
-- (load_id, batch_seq, idx) say which load last wrote the key: a key already written by the same
-- load in an earlier batch is a DUPLICATE, not a correction.
CREATE TABLE household_status (
  municipality   text NOT NULL,
  source         text NOT NULL,
  decision_id    text NOT NULL,
  status         text NOT NULL,
  decision_date  date NOT NULL,
  valid_from     date NOT NULL,
  valid_to       date NOT NULL,
  household_id   text,
  average_income numeric(12,2),
  record         jsonb NOT NULL,
  content_hash   text NOT NULL,
  version        int NOT NULL DEFAULT 1,
  load_id        text NOT NULL,
  batch_seq      int NOT NULL,
  idx            int NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality, source, decision_id)
);

CREATE TABLE household_member (
  municipality text NOT NULL,
  source       text NOT NULL,
  decision_id  text NOT NULL,
  member_no    int NOT NULL,
  person_code  text NOT NULL,
  given_name   text NOT NULL,
  surname      text NOT NULL,
  role         text NOT NULL,
  PRIMARY KEY (municipality, source, decision_id, member_no)
);
CREATE INDEX household_member_person ON household_member (person_code);

CREATE TABLE benefit_month (
  municipality  text NOT NULL,
  source        text NOT NULL,
  decision_id   text NOT NULL,
  month         date NOT NULL,
  benefit_type  text NOT NULL,
  person_code   text NOT NULL,
  household_id  text,
  decision_date date NOT NULL,
  amount        numeric(12,2) NOT NULL,
  paid_on       date,
  record        jsonb NOT NULL,
  content_hash  text NOT NULL,
  version       int NOT NULL DEFAULT 1,
  load_id       text NOT NULL,
  batch_seq     int NOT NULL,
  idx           int NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality, source, decision_id, month)
);
CREATE INDEX benefit_month_person ON benefit_month (month, person_code);

CREATE TABLE service_decision (
  municipality    text NOT NULL,
  source          text NOT NULL,
  decision_id     text NOT NULL,
  person_code     text NOT NULL,
  outcome         text NOT NULL,
  service_type    text NOT NULL,
  provider_reg_no text,
  decision_date   date NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  volume_amount   numeric(12,2),
  volume_unit     text,
  record          jsonb NOT NULL,
  content_hash    text NOT NULL,
  version         int NOT NULL DEFAULT 1,
  load_id         text NOT NULL,
  batch_seq       int NOT NULL,
  idx             int NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality, source, decision_id)
);

CREATE TABLE assistant_month (
  municipality          text NOT NULL,
  source                text NOT NULL,
  decision_id           text NOT NULL,
  month                 date NOT NULL,
  person_code           text NOT NULL,
  assistant_person_code text NOT NULL,
  category              text NOT NULL,
  granted_hours         numeric(6,1) NOT NULL,
  used_hours            numeric(6,1) NOT NULL,
  record                jsonb NOT NULL,
  content_hash          text NOT NULL,
  version               int NOT NULL DEFAULT 1,
  load_id               text NOT NULL,
  batch_seq             int NOT NULL,
  idx                   int NOT NULL,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality, source, decision_id, month)
);
CREATE INDEX assistant_month_assistant ON assistant_month (month, assistant_person_code);

-- Earlier versions of a key, written when a later load replaces it with different content.
CREATE TABLE decision_history (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,
  natural_key text NOT NULL,
  version     int NOT NULL,
  record      jsonb NOT NULL,
  load_id     text NOT NULL,
  replaced_by text NOT NULL,
  replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX decision_history_key ON decision_history (kind, natural_key);
CREATE UNIQUE INDEX decision_history_once ON decision_history (kind, natural_key, version);

CREATE TABLE dead_letters (
  id         bigserial PRIMARY KEY,
  route_id   text NOT NULL,
  job_id     text NOT NULL,
  data       jsonb NOT NULL,
  error      text NOT NULL,
  attempts   int NOT NULL,
  first_failed_at timestamptz,
  failed_at  timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz
);
