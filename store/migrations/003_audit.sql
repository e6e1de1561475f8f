-- The append-only audit log: who did what, for whom, why, when, and how it ended. Rows are
-- hash-chained (each row's hash covers its content and the previous row's hash) and numbered
-- without gaps under a lock, so `spolis-hub audit verify` can name the first row that was
-- altered, removed or reordered.
CREATE TABLE audit_log (
  seq          bigint PRIMARY KEY,
  at           timestamptz NOT NULL,
  actor        text NOT NULL,
  subject      text,
  service      text NOT NULL,
  purpose      text,
  outcome      text NOT NULL,
  request_sha256  text,
  response_sha256 text,
  details      jsonb,
  prev_hash    text NOT NULL,
  hash         text NOT NULL
);
-- The log is append-only for the hub's role: no UPDATE or DELETE path exists in the code.
