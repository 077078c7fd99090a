#!/usr/bin/env node
// Generates the API types from the backend's OpenAPI schema.
//
//   node scripts/gen-api.mjs          export ../.venv schema to openapi.json, then
//                                     write src/lib/api/schema.d.ts from it
//   node scripts/gen-api.mjs --check  do the same into a temp dir and fail (exit 1)
//                                     when openapi.json or schema.d.ts is out of date
//
// The backend export is skipped (with a note) when the venv is missing, so the
// types can still be generated from the committed openapi.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(webDir, '..');
const specPath = join(webDir, 'openapi.json');
const typesPath = join(webDir, 'src/lib/api/schema.d.ts');
const python = process.env.TICKETBOOTH_PYTHON ?? join(repoDir, '.venv/bin/python');
const check = process.argv.includes('--check');

function exportSpec() {
  if (!existsSync(python)) {
    console.warn(`gen-api: ${python} not found; using the committed openapi.json`);
    return null;
  }
  const out = execFileSync(python, ['-m', 'ticketbooth.openapi'], {
    cwd: repoDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Normalise formatting so the committed file does not churn on whitespace.
  return JSON.stringify(JSON.parse(out), null, 2) + '\n';
}

function generateTypes(fromSpec, toFile) {
  const bin = join(webDir, 'node_modules/.bin/openapi-typescript');
  execFileSync(bin, [fromSpec, '-o', toFile], {
    cwd: webDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

if (!check) {
  const spec = exportSpec();
  if (spec !== null) writeFileSync(specPath, spec);
  generateTypes(specPath, typesPath);
  console.log('gen-api: wrote openapi.json and src/lib/api/schema.d.ts');
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'ticketbooth-api-'));
  const problems = [];
  try {
    const spec = exportSpec();
    let specForTypes = specPath;
    if (spec !== null) {
      const tmpSpec = join(tmp, 'openapi.json');
      writeFileSync(tmpSpec, spec);
      specForTypes = tmpSpec;
      if (!existsSync(specPath) || readFileSync(specPath, 'utf8') !== spec) {
        problems.push('web/openapi.json differs from the backend schema');
      }
    }
    const tmpTypes = join(tmp, 'schema.d.ts');
    generateTypes(specForTypes, tmpTypes);
    if (!existsSync(typesPath) || readFileSync(typesPath, 'utf8') !== readFileSync(tmpTypes, 'utf8')) {
      problems.push('web/src/lib/api/schema.d.ts differs from the generated types');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (problems.length) {
    for (const p of problems) console.error(`check:api: ${p}`);
    console.error('check:api: run `npm run gen:api` in web/ and commit the result');
    process.exit(1);
  }
  console.log('check:api: generated API types are up to date');
}
