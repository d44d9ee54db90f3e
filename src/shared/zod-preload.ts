import { z } from 'zod';

/**
 * Evaluated once per worker into the workflow sandbox's shared module cache (the bundler's
 * `preloadModules`, see src/workflow-bundle.ts), so every cached case shares one copy of zod
 * instead of evaluating its own (about 0.55 MiB of heap per workflow).
 *
 * The SDK deep-freezes shared modules once they are loaded, so whatever zod sets up lazily on
 * its module-level objects must happen here, before the freeze: its default locale and
 * memoizer (set on the first schema built) and its `allowsEval` probe (on the first object
 * parsed). Patterns zod keeps as module-level RegExps get frozen too; its checks reset their
 * `lastIndex`, so src/shared/schemas.ts gives those formats a RegExp of their own.
 */
z.object({ warmUp: z.string() }).safeParse({ warmUp: '' });
