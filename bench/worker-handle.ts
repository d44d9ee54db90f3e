import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './config';
import { log } from './log';
import { CONFIG_ENV, type BenchWorkerConfig, type CpuSnapshot, type FromWorker, type MemorySnapshot, type ToWorker } from './worker-protocol';
import { sleep, withTimeout } from './stats';

/** The forked worker of bench/worker-process.ts, driven over IPC. */
export class BenchWorkerProcess {
  private nextId = 0;
  private readonly listeners = new Set<(message: FromWorker) => void>();
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromWorker) => this.listeners.forEach((listener) => listener(message)));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(config: BenchWorkerConfig): Promise<BenchWorkerProcess> {
    const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
    const child = fork(path.join(__dirname, 'worker-process.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['--expose-gc', '--import', tsxLoader],
      env: { ...process.env, NODE_OPTIONS: '', [CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const proc = new BenchWorkerProcess(child);
    try {
      await proc.next((m) => m.type === 'ready', 120_000, 'the bench worker to start');
    } catch (error) {
      await proc.stop();
      throw error;
    }
    return proc;
  }

  /** Calls `fn` with the idempotency key of every provider request the worker's no-op gateway accepts. */
  onSent(fn: (key: string) => void): () => void {
    const listener = (message: FromWorker) => {
      if (message.type === 'sent') message.keys.forEach(fn);
    };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private next(match: (message: FromWorker) => boolean, timeoutMs: number, what: string): Promise<FromWorker> {
    let listener: ((message: FromWorker) => void) | undefined;
    const answer = new Promise<FromWorker>((resolve, reject) => {
      listener = (message) => {
        if (message.type === 'error') reject(new Error(`bench worker: ${message.message}`));
        else if (match(message)) resolve(message);
      };
      this.listeners.add(listener);
      void this.exited.then((code) => reject(new Error(`bench worker exited (code ${code}) while waiting for ${what}`)));
    });
    return withTimeout(answer, timeoutMs, `waiting for ${what}`).finally(() => this.listeners.delete(listener!));
  }

  /** Memory after forced GCs. */
  async measure(): Promise<MemorySnapshot> {
    const id = ++this.nextId;
    this.child.send({ type: 'measure', id } satisfies ToWorker);
    const reply = await this.next((m) => m.type === 'memory' && m.id === id, 30_000, 'a memory reading');
    return (reply as Extract<FromWorker, { type: 'memory' }>).snapshot;
  }

  /** CPU used so far by the whole worker process. */
  async cpu(): Promise<CpuSnapshot> {
    const id = ++this.nextId;
    this.child.send({ type: 'cpu', id } satisfies ToWorker);
    const reply = await this.next((m) => m.type === 'cpu' && m.id === id, 30_000, 'a CPU reading');
    return (reply as Extract<FromWorker, { type: 'cpu' }>).snapshot;
  }

  /** Asks for a clean shutdown; kills the process if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToWorker);
    const clean = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!clean) {
      log('bench worker did not stop within 15 s; killing it');
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export const cpuSeconds = (from: CpuSnapshot, to: CpuSnapshot): number => (to.userMicros - from.userMicros + to.systemMicros - from.systemMicros) / 1e6;
