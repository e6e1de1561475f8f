-- Per-batch partial figures of the data-quality report (counted while the batch's records are in
-- memory), and the indexes the load-level consistency check needs.
ALTER TABLE batches ADD COLUMN quality jsonb;
CREATE INDEX benefit_month_load ON benefit_month (load_id);
CREATE INDEX household_status_household ON household_status (municipality, household_id);
