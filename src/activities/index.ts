import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { ComplianceError, nextAllowedContact } from '../domain/compliance';
import { planCase as planCaseFromPolicy } from '../domain/plan-case';
import type { CasePlan, ContactDecision, ContactRequest } from '../domain/types';
import { PolicyError, type PolicyRegistry } from '../policy/load';
import type { CaseInput } from '../shared/schemas';
import { maskPhone } from '../shared/redact';
import { createArchiveActivities, type ArchiveWriter } from './archive';
import type { PostalAddress, ProviderGateway, Recipient } from './provider-gateway';
import { ProviderRejectedError, ProviderUnavailableError } from './provider-gateway';

export interface ActivityDeps {
  gateway: ProviderGateway;
  policies: PolicyRegistry;
  logger: Logger;
  /** The case archive (DATABASE_URL); without it archive writes are acknowledged and dropped. */
  archive?: ArchiveWriter;
}

/** Every provider activity gets the idempotency key from the workflow: `<workflowId>/<step id>`. */
interface Keyed {
  idempotencyKey: string;
}

export function createActivities({ gateway, policies, logger, archive }: ActivityDeps) {
  /** Calls a provider and turns its failures into Temporal's retry semantics. */
  async function call<T>(action: string, key: string, fields: Record<string, unknown>, send: () => Promise<T>): Promise<T> {
    const info = Context.current().info;
    const log = logger.child({ activity: action, idempotencyKey: key, attempt: info.attempt, ...fields });
    try {
      const result = await send();
      log.info({ result }, 'provider accepted');
      return result;
    } catch (error) {
      if (error instanceof ProviderRejectedError) {
        log.warn({ status: error.status, code: error.code }, 'provider rejected the request');
        const type = error.invalidContact ? 'InvalidContact' : 'ProviderRejected';
        throw ApplicationFailure.nonRetryable(error.message, type, { status: error.status, code: error.code, contact: error.invalidContact });
      }
      if (error instanceof ProviderUnavailableError) {
        log.warn({ err: error.message, retryAfterMs: error.retryAfterMs }, 'provider unavailable, will retry');
        // A Retry-After from the provider overrides the policy's backoff for the next attempt.
        throw ApplicationFailure.create({ message: error.message, type: 'ProviderUnavailable', nextRetryDelay: error.retryAfterMs });
      }
      throw error;
    }
  }

  return {
    ...createArchiveActivities({ archive, logger }),

    /** Local activity: resolves the case's segment, strategy arm and ladder from the policy in force. */
    async planCase(input: CaseInput, openedAt: string): Promise<CasePlan> {
      let policy;
      try {
        policy = policies.byId(input.policyId);
      } catch (error) {
        if (error instanceof PolicyError && error.code === 'POLICY_UNKNOWN') throw ApplicationFailure.nonRetryable(error.message, 'UnknownPolicy');
        throw error;
      }
      // decidedAt echoes the workflow's own time of asking, never this worker's clock (time skipping, replay): see CaseContext.now().
      return { ...planCaseFromPolicy(policy, input, openedAt), decidedAt: openedAt };
    },

    /** Local activity: the earliest instant the rules allow a contact. Recorded in history, so calendar updates never change a running case's past. */
    async scheduleContact(request: ContactRequest): Promise<ContactDecision> {
      try {
        return { ...nextAllowedContact(request), decidedAt: request.notBefore };
      } catch (error) {
        // Final: asking again gives the same answer. The case goes to needs_review, never fails.
        if (error instanceof ComplianceError) throw ApplicationFailure.nonRetryable(error.message, 'ComplianceError', { code: error.code });
        throw error;
      }
    },

    async sendSms(req: Keyed & { to: string; template: string; params: Record<string, unknown>; locale?: string }) {
      const { idempotencyKey, ...body } = req;
      return call('sendSms', idempotencyKey, { to: maskPhone(req.to) }, () => gateway.sendSms(idempotencyKey, body));
    },

    async createCallTask(req: Keyed & { to: string; debtorRef: string; assignee: string; script: string; params: Record<string, unknown> }) {
      const { idempotencyKey, ...body } = req;
      return call('createCallTask', idempotencyKey, { to: maskPhone(req.to), assignee: req.assignee }, () => gateway.createCallTask(idempotencyKey, body));
    },

    async sendLetter(req: Keyed & { recipient: Recipient; address: PostalAddress; template: string; params: Record<string, unknown> }) {
      const { idempotencyKey, ...body } = req;
      return call('sendLetter', idempotencyKey, { role: req.recipient.role }, () => gateway.sendLetter(idempotencyKey, body));
    },

    async sendLawyerLetter(req: Keyed & { recipient: Recipient; address: PostalAddress; loanId: string; amountMinor: number; currency: string }) {
      const { idempotencyKey, ...body } = req;
      return call('sendLawyerLetter', idempotencyKey, { role: req.recipient.role, loanId: req.loanId }, () => gateway.sendLawyerLetter(idempotencyKey, body));
    },

    async fileLitigation(req: Keyed & { loanId: string; debtor: unknown; guarantors: unknown[]; amountMinor: number; currency: string; evidence: unknown }) {
      const { idempotencyKey, ...body } = req;
      return call('fileLitigation', idempotencyKey, { loanId: req.loanId }, () => gateway.fileLitigation(idempotencyKey, body));
    },

    async placeWithAgency(req: Keyed & { loanId: string; debtorRef: string; amountMinor: number; currency: string; agency?: string }) {
      const { idempotencyKey, ...body } = req;
      return call('placeWithAgency', idempotencyKey, { loanId: req.loanId }, () => gateway.placeWithAgency(idempotencyKey, body));
    },

    async recallFromAgency(req: Keyed & { placementId: string; loanId: string }) {
      const { idempotencyKey, ...body } = req;
      return call('recallFromAgency', idempotencyKey, { loanId: req.loanId }, () => gateway.recallFromAgency(idempotencyKey, body));
    },
  };
}

export type CollectionActivities = ReturnType<typeof createActivities>;
