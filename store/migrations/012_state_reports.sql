-- The annual state statistical report on social services and social assistance (issue 13.5,
-- eservices/state-reports/): what each municipality submitted. Every submission is kept: the
-- newest version of a (municipality, year) is the submitted report, the earlier ones its history.
-- Figures are aggregates, never personal data. `figures` and `records` map an indicator code
-- (store/state-reports.ts) to a decimal string; `records` is what the store counted when the
-- report was submitted (what the form was pre-filled with), kept so a later finding can tell a
-- typed correction from records that changed afterwards.
CREATE TABLE state_report_submission (
  municipality text NOT NULL,
  year         int NOT NULL,
  version      int NOT NULL,
  figures      jsonb NOT NULL,
  comments     jsonb NOT NULL,
  records      jsonb NOT NULL,
  submitted_by text NOT NULL,
  request_id   text,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (municipality, year, version)
);
CREATE INDEX state_report_submission_year ON state_report_submission (year);
