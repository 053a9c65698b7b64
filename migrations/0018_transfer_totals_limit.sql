-- The limit each period's total was last raised under: a batch of transfers raises many totals
-- in one statement, and each row is compared with its own limit.
ALTER TABLE transfer_totals ADD COLUMN limit_minor BIGINT NOT NULL DEFAULT 0;
