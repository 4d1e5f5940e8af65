// The dashboard's filters (status, hardware class, tree, workload), read from and written to the
// URL so a filtered view can be linked. Pure.
import { isStatus, type Status } from '../../shared/status.js';

export interface Filters {
  status?: Status;
  hardwareClass?: string;
  tree?: string;
  workload?: string;
}

/** Longest filter value kept; anything longer is not a class, tree or workload name. */
export const MAX_FILTER_CHARS = 200;

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length <= MAX_FILTER_CHARS ? trimmed : undefined;
}

/** Filters from query parameters `status`, `class`, `tree`, `workload`; unknown values are dropped. */
export function parseFilters(query: Record<string, string | undefined>): Filters {
  const filters: Filters = {};
  const status = query.status?.toUpperCase();
  if (isStatus(status)) filters.status = status;
  const hardwareClass = text(query.class);
  if (hardwareClass) filters.hardwareClass = hardwareClass;
  const tree = text(query.tree);
  if (tree) filters.tree = tree;
  const workload = text(query.workload);
  if (workload) filters.workload = workload;
  return filters;
}

/** The query parameters of `filters`, the inverse of parseFilters. */
export function filterParams(filters: Filters): Record<string, string | undefined> {
  return { status: filters.status, class: filters.hardwareClass, tree: filters.tree, workload: filters.workload };
}

/** True when a report column survives the workload filter (stages always do). */
export function keepsColumn(filters: Filters, column: string): boolean {
  return !filters.workload || !column.startsWith('workload:') || column === `workload:${filters.workload}`;
}
