-- Decision notices (eservices/applications/notices.ts; docs/partners/eaddress.md, "Decision notices").
--
-- decision_notice_scan: the batches whose decisions have been turned into notices. A worker takes a
-- done batch without a row here (row lock, SKIP LOCKED), plans its notices into the delivery outbox
-- and writes this row in the same transaction, so a batch is planned once; a second planning of the
-- same batch (a race, a rerun) would plan the same delivery ids, which the outbox keeps once.
CREATE TABLE decision_notice_scan (
  load_id    text NOT NULL,
  batch_seq  int NOT NULL,
  notices    int NOT NULL,
  scanned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (load_id, batch_seq)
);

-- A database that has loads before this migration has told those persons nothing, and must not
-- start now: its done batches count as scanned, and notices begin with the next batch applied.
INSERT INTO decision_notice_scan (load_id, batch_seq, notices) SELECT load_id, seq, 0 FROM batches WHERE status = 'done';

-- The planner reads "the decisions batch (L, S) wrote" as rows with that load_id and batch_seq and
-- updated_at between the batch's receipt and its processing (applyBatch writes them all at its
-- transaction's now(), which is also the batch's processed_at). BRIN, not B-tree: rows arrive in
-- time order, so a few summary pages per table locate a batch's block ranges, and keeping them costs
-- the bulk path (COPY into these tables) next to nothing, where a B-tree on (load_id, batch_seq)
-- would add an index insert per row (measured on 500,000 inserted rows: BRIN within the noise,
-- B-tree 10–20 % slower). The planner summarizes the ranges written since its last pass
-- (brin_summarize_new_values) so that it reads a batch's own ranges, not every page since the last
-- autovacuum.
CREATE INDEX household_status_updated_brin ON household_status USING brin (updated_at) WITH (autosummarize = on);
CREATE INDEX benefit_month_updated_brin ON benefit_month USING brin (updated_at) WITH (autosummarize = on);
CREATE INDEX service_decision_updated_brin ON service_decision USING brin (updated_at) WITH (autosummarize = on);

-- A person's notices (GET /api/v1/persons/me/decision-notices), and any e-service's by person.
CREATE INDEX IF NOT EXISTS deliveries_route_subject ON deliveries (route_id, subject, created_at);
