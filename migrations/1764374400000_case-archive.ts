import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The case archive (spec section 11): one row per case with its current figures, and
 * every timeline event of the case, append-only.
 *
 * - case_key is `<workflowId>/<overdueSince>`: stable across runs (continue-as-new) and
 *   distinct when the same loan defaults again later.
 * - version only grows (the number of timeline events the case had recorded when it wrote
 *   the row), so a late write never overwrites a newer one.
 * - No personal data: loan ids, figures and the timeline text (which masks contacts).
 */
export function up(pgm: MigrationBuilder): void {
  pgm.createTable('archive_cases', {
    case_key: { type: 'text', primaryKey: true },
    loan_id: { type: 'text', notNull: true },
    workflow_id: { type: 'text', notNull: true },
    run_id: { type: 'text', notNull: true },
    execution_status: { type: 'text', notNull: true },
    opened_at: { type: 'timestamptz', notNull: true },
    closed_at: { type: 'timestamptz' },
    overdue_since: { type: 'date' },
    product: { type: 'text' },
    reason: { type: 'text' },
    policy_id: { type: 'text' },
    debtor_type: { type: 'text' },
    timezone: { type: 'text' },
    currency: { type: 'text', notNull: true },
    amount_due_minor: { type: 'bigint', notNull: true },
    outstanding_minor: { type: 'bigint', notNull: true },
    paid_minor: { type: 'bigint', notNull: true },
    recovered_minor: { type: 'bigint', notNull: true },
    cost_minor: { type: 'bigint', notNull: true },
    stage: { type: 'text' },
    state: { type: 'text' },
    outcome: { type: 'text' },
    segment: { type: 'text' },
    strategy: { type: 'text' },
    promises_kept: { type: 'integer', notNull: true, default: 0 },
    promises_broken: { type: 'integer', notNull: true, default: 0 },
    right_party_contact: { type: 'boolean' },
    recovered_by_stage: { type: 'jsonb' },
    version: { type: 'bigint', notNull: true },
    archived_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
  });
  pgm.createIndex('archive_cases', 'loan_id');
  pgm.createIndex('archive_cases', [{ name: 'opened_at', sort: 'DESC' }, { name: 'case_key', sort: 'DESC' }], { name: 'archive_cases_newest_first' });
  pgm.createIndex('archive_cases', 'closed_at', { where: 'closed_at IS NOT NULL' });

  pgm.createTable('archive_events', {
    case_key: { type: 'text', notNull: true, references: 'archive_cases', onDelete: 'CASCADE' },
    seq: { type: 'integer', notNull: true },
    at: { type: 'timestamptz', notNull: true },
    kind: { type: 'text', notNull: true },
    detail: { type: 'text', notNull: true },
    data: { type: 'jsonb' },
  });
  pgm.addConstraint('archive_events', 'archive_events_pkey', { primaryKey: ['case_key', 'seq'] });
}

export function down(pgm: MigrationBuilder): void {
  pgm.dropTable('archive_events');
  pgm.dropTable('archive_cases');
}
