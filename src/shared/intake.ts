/**
 * The daily intake contract shared by the `intakeSweep` workflow, its activity and the
 * client that schedules it (clients never import workflow files).
 */
export const INTAKE_SWEEP_WORKFLOW_TYPE = 'intakeSweep';

/** Cases an import opens at once unless told otherwise (CLI, sweep). */
export const DEFAULT_IMPORT_CONCURRENCY = 8;

/** The daily intake schedule's defaults (`collections schedule-intake`). */
export const INTAKE_SCHEDULE_ID = 'daily-intake';
export const DEFAULT_INTAKE_CRON = '0 6 * * *';
export const DEFAULT_INTAKE_TIMEZONE = 'Asia/Shanghai';

export interface IntakeSweepInput {
  /** Folder on the worker's file system where overdue files (`*.csv`) arrive. */
  folder: string;
  /** Policy for every case opened (the worker's default when absent). */
  policyId?: string;
  /** Cases opened at once. Default 8. */
  concurrency?: number;
}

export interface IntakeFileResult {
  file: string;
  /** imported; skipped (the same content was already processed); failed (unusable file, moved to failed/). */
  status: 'imported' | 'skipped' | 'failed';
  /** Where the file went: processed/... or failed/... (relative to the folder). */
  movedTo?: string;
  opened: number;
  alreadyOpen: number;
  rejectedCount: number;
  /** The first rejected rows; all of them are in `<movedTo>.result.json`. */
  rejected: Array<{ row: number; loanId?: string; reason: string }>;
  /** Why the whole file failed. */
  error?: string;
}

export interface IntakeSweepResult {
  folder: string;
  files: IntakeFileResult[];
}
