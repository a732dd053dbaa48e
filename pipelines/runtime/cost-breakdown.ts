/**
 * The run's costs by kind, summed over every ExecutionCost record a broker reported (its `costs`
 * port), and the return before them: what summary.json's `costs` and `gross_return` hold.
 */
import type { ExecutionCost, PortfolioState } from '../../schemas/types.generated.ts';

export const COST_KINDS = ['spread', 'impact', 'fee', 'borrow', 'financing'] as const;
export type CostKind = (typeof COST_KINDS)[number];
export type CostBreakdown = Record<CostKind | 'total', number>;

export class CostTally {
  private readonly sums: Record<CostKind, number> = { spread: 0, impact: 0, fee: 0, borrow: 0, financing: 0 };

  add(batch: readonly ExecutionCost[]): void {
    for (const c of batch) for (const k of COST_KINDS) this.sums[k] += c[k];
  }

  breakdown(): CostBreakdown {
    let total = 0;
    for (const k of COST_KINDS) total += this.sums[k];
    return { ...this.sums, total };
  }
}

/**
 * The return had the run paid none of its costs: the last equity plus what the books paid (fills
 * settle spread, impact and fee in their prices and fees; borrow and financing are the ledger's, so
 * carry the accounting was not given is not added back), over the first equity.
 */
export function grossReturn(
  first: Pick<PortfolioState, 'equity'>,
  last: Pick<PortfolioState, 'equity' | 'fees' | 'borrow' | 'financing'>,
  costs: CostBreakdown,
): number {
  if (first.equity === 0) return 0;
  const paid = costs.spread + costs.impact + last.fees + last.borrow + last.financing;
  return (last.equity + paid) / first.equity - 1;
}
