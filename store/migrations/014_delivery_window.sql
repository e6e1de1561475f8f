-- The outbox hands its rows to the delivery queue a window at a time (engine/runtime/deliveries.ts,
-- handOver), not all at once: a load of 65,000 new decisions plans 65,000 notices for an e-address
-- that takes 20 a second, and a BullMQ job each (and the reconciler re-adding every one of them a
-- minute) cost as much CPU as the load itself. `enqueued_at` is when a row was handed to the
-- queue; NULL means it waits in the outbox for a free place in its route's window.
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS enqueued_at timestamptz;
-- Rows pending before this migration already have their jobs.
UPDATE deliveries SET enqueued_at = updated_at WHERE status = 'pending';
DROP INDEX IF EXISTS deliveries_pending;
-- The next rows to hand over, oldest first; and the ones in the queue now (the window's count and the reconciler's list).
CREATE INDEX IF NOT EXISTS deliveries_waiting ON deliveries (route_id, created_at, id) WHERE status = 'pending' AND enqueued_at IS NULL;
CREATE INDEX IF NOT EXISTS deliveries_queued ON deliveries (route_id, created_at, id) WHERE status = 'pending' AND enqueued_at IS NOT NULL;
