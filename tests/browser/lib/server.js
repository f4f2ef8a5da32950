// Starts the real `mire` binary for a test file: a fresh temporary directory with its own
// SQLite database and e-mail outbox, no demo data, and the port picked by the system.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How long the server may take to print its address before the test file gives up. */
const START_DEADLINE_MS = 60_000;

/** The server binary: MIRE_BIN, or the workspace's debug build when it is not set. */
export function mireBin() {
  if (process.env.MIRE_BIN) return process.env.MIRE_BIN;
  const here = dirname(fileURLToPath(import.meta.url));
  const built = resolve(here, '..', '..', '..', 'target', 'debug', 'mire');
  if (existsSync(built)) return built;
  throw new Error(
    `MIRE_BIN is not set and ${built} does not exist: build the server with ` +
      '`cargo build -p mire`, or run the suite with `cargo xtask test --only browser`.',
  );
}

/**
 * Starts `mire serve` and resolves once it prints "MIRE listening on URL".
 * Returns { url, dir, env, createUser, mailTo, stop }.
 */
export async function startServer() {
  const bin = mireBin();
  const dir = await mkdtemp(join(tmpdir(), 'mire-browser-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/mire.db`,
    MIRE_OUTBOX_DIR: join(dir, 'outbox'),
    MIRE_RATE_LIMIT_SIGNUP_PER_HOUR: '1000',
    MIRE_RATE_LIMIT_LOGIN_PER_15MIN: '1000',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  for (const k of ['MIRE_LISTEN', 'MIRE_BASE_URL']) delete env[k];

  const child = spawn(bin, ['serve', '--no-demo', '--listen', '127.0.0.1:0'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = once(child, 'exit');
  // Should the test process end without reaching stop() (a crash), take the server with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`mire did not report its address within ${START_DEADLINE_MS} ms\n${stderr}`));
    }, START_DEADLINE_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/MIRE listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`mire exited (code ${code}, signal ${signal}) before listening\n${out}\n${stderr}`));
    });
  });
  // Keep draining stdout so the server never blocks on a full pipe.
  child.stdout.resume();

  return {
    url,
    dir,
    env,
    /** Server log so far, for failure messages. */
    log: () => stderr,

    /** Creates a confirmed account with the admin CLI (same database). */
    async createUser({ email, password, role, name }) {
      const args = ['admin', 'create-user', '--email', email, '--password', password, '--role', role];
      if (name) args.push('--name', name);
      await run(bin, args, { cwd: dir, env });
    },

    /** Text of the newest e-mail in the outbox addressed to `email`. */
    async mailTo(email) {
      const outbox = join(dir, 'outbox');
      let names = [];
      try {
        names = (await readdir(outbox)).filter((n) => n.endsWith('.eml'));
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
      const mails = [];
      for (const name of names) {
        const path = join(outbox, name);
        const text = await readFile(path, 'utf8');
        const to = text.match(/^To:\s*(.*)$/m);
        if (to && to[1].toLowerCase().includes(email.toLowerCase())) {
          mails.push({ name, text, mtime: (await stat(path)).mtimeMs });
        }
      }
      mails.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name));
      if (mails.length === 0) {
        throw new Error(`no e-mail to ${email} in ${outbox} (files: ${names.join(', ') || 'none'})`);
      }
      return mails[mails.length - 1].text;
    },

    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Finds the confirmation link in an e-mail and points it at `baseUrl` (the server was
 * started on port 0, so the link's own origin may not be the one it listens on).
 */
export function confirmationLink(mailText, baseUrl) {
  const m = mailText.match(/https?:\/\/[^\s]+\/conferma-email\?token=[A-Za-z0-9_\-]+/);
  if (!m) throw new Error(`no /conferma-email link in the e-mail:\n${mailText}`);
  const link = new URL(m[0]);
  return new URL(link.pathname + link.search, baseUrl).href;
}
