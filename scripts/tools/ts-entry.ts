import path from 'node:path';

/** scripts/register-tsx.cjs: what runs this project's TypeScript in a process of its own. */
const REGISTER_TSX = path.resolve(__dirname, '../register-tsx.cjs');

/** Node's arguments to run the TypeScript entry point `file` as its own process (as the npm scripts do). */
export function tsEntryArgs(file: string): string[] {
  return ['-r', REGISTER_TSX, file];
}
