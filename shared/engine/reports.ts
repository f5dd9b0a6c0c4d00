/** `report` actions: what operators should know that no cloud call fixes. */
import type { ReservationNotice } from './signals.ts';
import type { BudgetCut, ReportAction } from './types.ts';

export const invalidWindowReport = (name: string): ReportAction => ({
  type: 'report',
  code: 'schedule.invalid',
  message: `window ${name} has an unknown time zone or a malformed time: ignored`,
});

export const unknownPoolReport = (poolId: string, fleetId: string): ReportAction => ({
  type: 'report',
  code: 'manual.unknown-pool',
  message: `manual target for pool ${poolId}: no such pool in fleet ${fleetId}, ignored`,
});

export const budgetUnmetReport = (fleetId: string, cut: BudgetCut): ReportAction => ({
  type: 'report',
  code: 'budget.unmet',
  message: `fleet ${fleetId}: its floor costs $${cut.costAfter.toFixed(2)}/h, above the $${cut.budgetUsd.toFixed(2)}/h budget`,
});

/** Reservations an underutilization notice names (AWS Health ODCR underutilization). */
export function reservationReports(notices: readonly ReservationNotice[]): ReportAction[] {
  return notices
    .filter((n) => n.kind === 'underutilized')
    .map((n) => ({
      type: 'report',
      code: 'reservation.underutilized',
      message:
        `reservation ${n.reservationIds.join(', ')} is ` +
        `${n.utilization !== undefined ? `${Math.round(n.utilization * 100)}% ` : 'under-'}used (event ${n.eventId}): ` +
        'capacity moves onto it where pools allow',
    }));
}
