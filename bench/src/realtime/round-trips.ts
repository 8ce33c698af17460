/**
 * SQL statements a server child sent to its database (each one a round trip): counted by the
 * Parley store's kysely query log and by the home-grown server's `pg` wrapper, and reported to the
 * orchestrator with the CPU readings, so the bench can say how many round trips a message costs.
 */
export const sqlRoundTrips = { count: 0 };

/** A query hook that counts one round trip per statement. */
export const countRoundTrip = (): void => {
  sqlRoundTrips.count++;
};
