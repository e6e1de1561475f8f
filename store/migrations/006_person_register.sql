-- The population register's changes as PMLP's feed brings them (docs/partners/pmlp.md,
-- GetPersonChanges): deaths and declared residences taking effect. Each change is one row, kept
-- for good, so the residence in force on any day is the newest RESIDENCE row effective on or
-- before it: the history is the rows themselves. A page pulled twice brings the same ChangeIds
-- and adds nothing.
CREATE TABLE person_register_change (
  change_id     text PRIMARY KEY,
  person_code   text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('DEATH', 'RESIDENCE')),
  effective_on  date NOT NULL,
  municipality  text,
  address_code  text,
  recorded_at   timestamptz NOT NULL,
  source        text NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'RESIDENCE') = (municipality IS NOT NULL))
);
-- The checks ask "which residence was in force for this person on that day": one index probe.
CREATE INDEX person_register_change_person ON person_register_change (person_code, kind, effective_on);
