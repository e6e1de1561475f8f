-- The portal's e-services read one person's decisions (eservices/applications: a person's
-- applications and their status). Without these, each such read scans the whole table; with them
-- it is an index probe. The bulk path pays one more index entry per row (npm run bench -- bulk).
CREATE INDEX IF NOT EXISTS service_decision_person ON service_decision (person_code);
CREATE INDEX IF NOT EXISTS assistant_month_person ON assistant_month (person_code);
CREATE INDEX IF NOT EXISTS benefit_month_person_code ON benefit_month (person_code);
