import { ContactBook } from './contacts';
import { type FaultConfig, Faults } from './faults';
import { ProviderIds } from './ids';
import { Ledger } from './ledger';

/** Everything one sandbox instance remembers; shared by the provider and admin routes. */
export class SandboxState {
  readonly ledger = new Ledger();
  readonly contacts = new ContactBook();
  readonly ids = new ProviderIds();
  readonly faults: Faults;

  constructor(
    initialFaults: FaultConfig,
    readonly random: () => number = Math.random,
  ) {
    this.faults = new Faults(initialFaults);
  }

  /** Empties the ledger and invalid contacts and restores the start-up faults. IDs keep counting. */
  reset(): void {
    this.ledger.clear();
    this.contacts.clear();
    this.faults.reset();
  }
}
