import { ContactBook } from './contacts';
import { type FaultConfig, Faults } from './faults';
import { ProviderIds } from './ids';
import { Ledger } from './ledger';

/** Everything one sandbox instance remembers; shared by the provider and admin routes. */
export class SandboxState {
  readonly ledger: Ledger;
  readonly contacts = new ContactBook();
  readonly ids: ProviderIds;
  readonly faults: Faults;

  /** @param ledgerFile keeps the ledger across restarts (see Ledger). */
  constructor(
    initialFaults: FaultConfig,
    readonly random: () => number = Math.random,
    ledgerFile?: string,
  ) {
    this.faults = new Faults(initialFaults);
    this.ledger = new Ledger(ledgerFile);
    this.ids = new ProviderIds(this.ledger.deliveryCount);
  }

  /** Empties the ledger and invalid contacts and restores the start-up faults. IDs keep counting. */
  reset(): void {
    this.ledger.clear();
    this.contacts.clear();
    this.faults.reset();
  }
}
