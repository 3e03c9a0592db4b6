-- 003: the number of invoices, kept by triggers, so the unfiltered invoice list (the UI's
-- first page) does not count every row on each request.
--
-- The count is spread over 64 rows; a transaction adds to the row of its own backend
-- (pg_backend_pid() % 64), so concurrent writers rarely meet on a row and one transaction
-- never locks two rows (no deadlocks). The row trigger is deferred to commit, so the row
-- lock is held only while committing (not during an upload's storage write). Inside a
-- transaction that has inserted or deleted invoices, the count does not include its own
-- changes until it commits; every other reader sees exactly count(*) of its snapshot.
-- The total is SELECT sum(n) FROM invoice_counts.

LOCK TABLE invoices IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE invoice_counts (
    shard SMALLINT PRIMARY KEY CHECK (shard BETWEEN 0 AND 63),
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO invoice_counts (shard, n) SELECT g, 0 FROM generate_series(0, 63) AS g;
UPDATE invoice_counts SET n = (SELECT count(*) FROM invoices) WHERE shard = 0;

CREATE FUNCTION invoice_counts_change() RETURNS trigger AS $$
BEGIN
    UPDATE invoice_counts
       SET n = n + CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END
     WHERE shard = pg_backend_pid() % 64;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION invoice_counts_clear() RETURNS trigger AS $$
BEGIN
    UPDATE invoice_counts SET n = 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER invoices_counted AFTER INSERT OR DELETE ON invoices
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION invoice_counts_change();
CREATE TRIGGER invoices_counted_truncate AFTER TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_counts_clear();
