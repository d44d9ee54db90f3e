import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { CaseArchive } from '../archive/case-archive';
import type { CaseService } from '../client/case-service';
import type { Role } from '../client/operators';
import { CaseEnv, parseEnv } from '../config';
import type { PolicyRegistry } from '../policy/load';

/**
 * What one CLI run shares between its commands: the environment, a logger, the Temporal
 * client, the case archive. Each is created on first use, and the modules behind it are
 * loaded then too (`require` at the point of use, typed with `typeof import(...)`): every
 * run is a fresh process, and `collections --help` or `status` should not pay for the
 * archive's database driver, the policy calendars or the Temporal SDK they do not use.
 */

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Progress bars and confirmation prompts only on a terminal. */
  interactive: boolean;
}

export class Session {
  private clientPromise?: Promise<Client>;
  private archivePromise?: Promise<CaseArchive | undefined>;
  private envCache?: CaseEnv;
  private loggerCache?: Logger;

  constructor(readonly io: CliIO) {}

  /** Logs never go to stdout (the command's output, tables or JSON); quiet (warn) unless LOG_LEVEL says otherwise. */
  get logger(): Logger {
    if (!this.loggerCache) {
      const { createLogger } = require('../logger') as typeof import('../logger');
      this.loggerCache = createLogger('collections-cli', { level: this.io.env.LOG_LEVEL ? this.env.LOG_LEVEL : 'warn', format: this.env.LOG_FORMAT, destination: 2 });
    }
    return this.loggerCache;
  }

  get env(): CaseEnv {
    this.envCache ??= parseEnv(CaseEnv, this.io.env);
    return this.envCache;
  }

  client(): Promise<Client> {
    this.clientPromise ??= (async () => {
      const { connectClient, payloadProtection } = require('../temporal-connection') as typeof import('../temporal-connection');
      const protection = payloadProtection(this.env);
      if (!protection.activeKeyId) this.logger.warn(protection.summary);
      return connectClient(this.env, protection.dataConverter);
    })();
    return this.clientPromise;
  }

  /** The case archive when DATABASE_URL is set (schema migrated on first use). */
  archive(): Promise<CaseArchive | undefined> {
    this.archivePromise ??= (async () => {
      if (!this.env.DATABASE_URL) return undefined; // reads fall back to Temporal visibility
      const { archiveFromEnv } = require('../archive/from-env') as typeof import('../archive/from-env');
      return archiveFromEnv(this.env, { info: () => undefined, warn: (message: string) => this.logger.debug(message) });
    })();
    return this.archivePromise;
  }

  /**
   * Cases through the application layer. The policy files (YAML, holiday calendars) are what
   * admission checks a new case against: read up front by a command that opens cases (`admits`,
   * so a bad POLICY_FILE fails it before the first row), otherwise only if ever asked.
   */
  async cases(options: { admits?: boolean } = {}): Promise<CaseService> {
    const { CaseService } = require('../client/case-service') as typeof import('../client/case-service');
    const client = await this.client();
    return new CaseService(client, this.env.TASK_QUEUE, options.admits ? this.loadPolicies() : this.lazyPolicies());
  }

  private loadPolicies(): PolicyRegistry {
    const { loadConfiguredPolicies } = require('../policy/load') as typeof import('../policy/load');
    return loadConfiguredPolicies(this.env);
  }

  private lazyPolicies(): PolicyRegistry {
    let registry: PolicyRegistry | undefined;
    const load = () => (registry ??= this.loadPolicies());
    return {
      byId: (id) => load().byId(id),
      get defaultPolicy() {
        return load().defaultPolicy;
      },
      ids: () => load().ids(),
    };
  }

  async close(): Promise<void> {
    await this.archivePromise?.then((archive) => archive?.close()).catch(() => undefined);
    if (!this.clientPromise) return;
    try {
      await (await this.clientPromise).connection.close();
    } catch {
      // the connection never came up
    }
  }
}

/** What a command's code gets from the program: the session, its output, who acts. */
export interface CommandContext {
  session: Session;
  io: CliIO;
  /** `--json` was given. */
  json: boolean;
  /** A line (or block) of human output on stdout. */
  print(text: string): void;
  /** A value as indented JSON on stdout. */
  printJson(value: unknown): void;
  /** Who acts, for the timeline (./identity.ts); `minimumRole` is checked when an operator is named with --as. */
  actor(minimumRole: Role): string;
}
