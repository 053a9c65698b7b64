-- Readiness: `/readyz` overwrites this one row in a real write transaction, so a full disk, a
-- read-only database or a broken writer shows as "not ready" rather than as failing requests.
CREATE TABLE health_probe (
    id BIGINT PRIMARY KEY,
    written_at_ms BIGINT NOT NULL
);
