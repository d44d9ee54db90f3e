import type { Scenario } from '../scenario';

const notYet = (id: string, title: string, pending: string): Scenario => ({
  id,
  title,
  pending,
  run: () => Promise.reject(new Error(`${id} is pending: ${pending}`)),
});

/** 12. Needs WEBHOOK_SECRETS (spec section 10) on this code base. */
export const secretRotation = notYet('secret-rotation', 'Webhook HMAC secret rotated mid-run', 'WEBHOOK_SECRETS (several webhook secrets) is not on this branch yet');
