// Temporal Cloud's published Pay-As-You-Go price of actions (https://docs.temporal.io/cloud/pricing,
// read 2026-12-03): what docs/PERFORMANCE.md's cost table turns a month's actions into. Pure.

/** Volume tiers of the Business, Enterprise and Mission Critical plans: `upTo` actions a month, USD per million. */
export const PAYG_ACTION_TIERS: readonly { upTo: number; usdPerMillion: number }[] = [
  { upTo: 5e6, usdPerMillion: 50 },
  { upTo: 10e6, usdPerMillion: 45 },
  { upTo: 20e6, usdPerMillion: 40 },
  { upTo: 50e6, usdPerMillion: 35 },
  { upTo: 100e6, usdPerMillion: 30 },
  { upTo: 200e6, usdPerMillion: 25 },
];

/** Past the last tier the price is Sales' ("contact Sales"): none is published. */
export const PUBLISHED_UP_TO = 200e6;

/** The Developer plan's price at every volume, USD per million actions (plus the plan's 10 %). */
export const DEVELOPER_USD_PER_MILLION = 50;

/** A month is 30 days here, for every per-month figure. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

/**
 * USD for a month's actions at the Pay-As-You-Go tiers, before the plan's included actions and
 * its base fee; undefined past PUBLISHED_UP_TO, where no price is published.
 */
export function actionsUsd(actions: number): number | undefined {
  if (!Number.isFinite(actions) || actions < 0)
    throw new RangeError(`actions must be a non-negative number (got ${actions})`);
  if (actions > PUBLISHED_UP_TO) return undefined;
  let usd = 0;
  let from = 0;
  for (const tier of PAYG_ACTION_TIERS) {
    if (actions <= from) break;
    usd += ((Math.min(actions, tier.upTo) - from) / 1e6) * tier.usdPerMillion;
    from = tier.upTo;
  }
  return usd;
}
