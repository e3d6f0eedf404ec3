/**
 * The gateway's failure code and Payscope's failure category beside the free-text reason (issue 9,
 * item 20): channel adapters map each gateway's codes to one small vocabulary
 * (src/contracts/failure-categories.ts). Both nullable: rows recorded before stay as they were.
 */
export const up = `
ALTER TABLE payment_service.payments
  ADD COLUMN IF NOT EXISTS failure_code VARCHAR(100),
  ADD COLUMN IF NOT EXISTS failure_category VARCHAR(32);
`;
