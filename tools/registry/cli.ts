/**
 * `npm run registry -- start` / `status` / `stop`: an Apicurio Registry that outlives this
 * command, for running the e2e tests or the sample repeatedly. State in .registry/server.json.
 * `start` prints `SCHEMA_REGISTRY_URL=<url>` on stdout, so `export $(npm run -s registry --
 * start)` works; everything else goes to stderr.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryDir } from './paths.js';
import { answers, SchemaRegistryServer, type RegistryState } from './server.js';

const stateFile = () => join(registryDir(), 'server.json');

function readState(): RegistryState | undefined {
  const file = stateFile();
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RegistryState) : undefined;
}

async function start(): Promise<void> {
  const state = readState();
  if (state && SchemaRegistryServer.attach(state).running) {
    console.error(`Apicurio Registry is already running (state in ${stateFile()}).`);
    console.log(`SCHEMA_REGISTRY_URL=${state.url}`);
    return;
  }
  const t0 = Date.now();
  const dataDir = join(registryDir(), 'server');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const server = await SchemaRegistryServer.start({ detached: true, dataDir });
  writeFileSync(stateFile(), JSON.stringify(server.state(), null, 2) + '\n');
  console.error(
    `Started Apicurio Registry in ${Date.now() - t0} ms; log in ${dataDir}/registry.log`,
  );
  console.log(`SCHEMA_REGISTRY_URL=${server.url}`);
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    console.log('Apicurio Registry: not started (no .registry/server.json)');
    return 1;
  }
  const up = SchemaRegistryServer.attach(state).running && (await answers(state.url));
  console.log(`SCHEMA_REGISTRY_URL=${state.url} ${up ? 'ready' : 'not answering'}`);
  return up ? 0 : 1;
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state) {
    console.error('Apicurio Registry: nothing to stop (no .registry/server.json)');
    return;
  }
  await SchemaRegistryServer.attach(state).stop();
  rmSync(stateFile(), { force: true });
  console.error('Apicurio Registry stopped.');
}

async function main([command]: string[]): Promise<number> {
  if (command === 'start') await start();
  else if (command === 'stop') await stop();
  else if (command === 'status') return status();
  else {
    console.error('usage: registry start | status | stop');
    return 2;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
