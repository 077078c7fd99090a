// Starts the real Ticketbooth server for the e2e run: a fresh SQLite database
// in a temp dir (migrated and seeded with demo data by `serve`), serving the
// API and web/dist. Playwright's webServer runs this and stops it afterwards.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(webDir, '..');
const port = process.env.E2E_PORT ?? '4173';
const bin = process.env.TICKETBOOTH_BIN ?? join(repoDir, '.venv/bin/ticketbooth');
const dist = join(webDir, 'dist');

if (!existsSync(bin)) {
  console.error(`e2e: ${bin} not found; create the venv first (the repo's setup script).`);
  process.exit(1);
}
if (!existsSync(join(dist, 'index.html'))) {
  console.error('e2e: web/dist is missing; run `npm run build` first.');
  process.exit(1);
}

const dbDir = mkdtempSync(join(tmpdir(), 'ticketbooth-e2e-'));
const child = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', port], {
  stdio: 'inherit',
  env: {
    ...process.env,
    TICKETBOOTH_DATABASE_URL: `sqlite+aiosqlite:///${join(dbDir, 'e2e.db')}`,
    TICKETBOOTH_WEB_DIST: dist,
  },
});

function cleanup() {
  rmSync(dbDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    child.kill('SIGTERM');
  });
}
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 0 : 1));
});
