-- An auditor's first question is "who read this person's data": rows by subject, in chain order,
-- without walking the whole log (GET /api/v1/audit?subject=…).
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject, seq) WHERE subject IS NOT NULL;
