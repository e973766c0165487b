/**
 * Schema version 5: whether an exec row's argv was clipped to fit its record. Successful execs carried the mark on
 * the process row only; failed execs (argv read from the caller's memory, 32 arguments of at most 1 KiB) had none,
 * so a cut command line looked whole. NULL in rows written before v5.
 */
export const migration005 = `
ALTER TABLE execs ADD COLUMN argv_clipped INTEGER;
`;
