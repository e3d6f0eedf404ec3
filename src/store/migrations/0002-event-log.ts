/**
 * The embedded event log: per-consumer positions (and the relay's lease), and gap-free outbox
 * offsets on PostgreSQL.
 *
 * Why the trigger: BIGSERIAL ids are handed out at INSERT, not at COMMIT. With two writers, id 11
 * can commit before id 10; a reader that then moves its offset to 11 skips 10 forever. Taking one
 * transaction-level advisory lock before any outbox insert (released at commit or rollback) means
 * a transaction can only draw outbox ids once every earlier drawer has finished, so ids become
 * visible in id order. PGlite runs one transaction at a time and pays nothing. The function body
 * stays on one line: the migrator splits statements on a semicolon at the end of a line.
 * Write outbox rows last in a transaction: the lock is held from that insert to the commit.
 */
export const OUTBOX_INSERT_LOCK_KEY = 7_406_139_023;

export const up = `
CREATE TABLE payment_service.consumer_offsets (
  consumer VARCHAR(200) PRIMARY KEY,
  -- the last outbox id this consumer has handled and committed; it resumes after it
  position BIGINT NOT NULL DEFAULT 0,
  -- the member currently allowed to read for this consumer, until lease_until
  owner VARCHAR(200),
  lease_until TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE FUNCTION payment_service.outbox_serialise_inserts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(${OUTBOX_INSERT_LOCK_KEY}); RETURN NULL; END $$;

CREATE TRIGGER outbox_serialise_inserts BEFORE INSERT ON payment_service.outbox
  FOR EACH STATEMENT EXECUTE FUNCTION payment_service.outbox_serialise_inserts();
`;
