import path from 'node:path';
import { loadWorkspace } from '../config/load';
import { commandActor, openStoreFor } from '../store';
import type { DemoStep } from './run-demo';

/** The token `outflow demo` creates (again at every run: the store keeps only its hash). */
export const DEMO_TOKEN_NAME = 'demo';

/**
 * Creates an admin token in the demo workspace's store and prints how to start the server on
 * the demo workspace with it, sandbox ad platforms included.
 */
export const serverStep: DemoStep = {
  name: 'server',
  async run(ctx) {
    const store = await openStoreFor(loadWorkspace(ctx.configFile));
    try {
      const actor = commandActor('cli', 'outflow demo');
      if ((await store.tokens.list()).some((t) => t.name === DEMO_TOKEN_NAME)) await store.tokens.revoke(DEMO_TOKEN_NAME, actor);
      const { token } = await store.tokens.create({ name: DEMO_TOKEN_NAME, role: 'admin' }, actor);
      const config = path.relative(process.cwd(), ctx.configFile) || ctx.configFile;
      ctx.print('Serve the API on this workspace, with the six sandbox ad platforms to switch on:');
      ctx.print(`  npx outflow serve --config ${config} --sandbox`);
      ctx.print(`  admin token "${DEMO_TOKEN_NAME}" (shown once): ${token}`);
      ctx.print(`  curl -H "Authorization: Bearer ${token}" http://127.0.0.1:3000/api/v1/segments`);
    } finally {
      await store.close();
    }
  },
};
