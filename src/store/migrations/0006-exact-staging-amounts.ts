/**
 * Exact money in `payment_staging`. The seed's `amount DECIMAL(15,2)` made PostgreSQL round on
 * INSERT, before Payscope read the row: KWD 12.345 became 12.350, INR 100.125 became 100.13, and
 * no error was raised. An unconstrained NUMERIC keeps every digit the ETL writes, so the recorder
 * sees the exact amount and either converts it to minor units or rejects it with
 * `AMOUNT_PRECISION` when it has more decimals than its currency allows. The fee and tax columns
 * (NUMERIC(18,4)) are widened for the same reason.
 *
 * Dropping a numeric's precision and scale is a catalogue change on both PostgreSQL and PGlite:
 * no row is rewritten or lost, and a 2-decimal ETL keeps writing what it always wrote.
 */
export const up = `
ALTER TABLE payment_staging
  ALTER COLUMN amount TYPE NUMERIC,
  ALTER COLUMN fee_amount TYPE NUMERIC,
  ALTER COLUMN tax_amount TYPE NUMERIC;
`;
