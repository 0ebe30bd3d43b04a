/*
 * Bundled and run as `nobody` by linux-detail-attacks.linux.test.ts: the real detail handlers over the real Linux
 * source ask for another user's process (argv: a JSON list of calls) and print each envelope as one JSON line.
 */
import { dispatchRequest, type RequestHandlers } from '../../../host/request-handlers';
import { createDetailHandlers } from '../../../host/detail-handlers';
import { createDetailServices } from '../../detail-service';
import { createLinuxDetailSource } from '../linux-detail-source';

async function main(): Promise<void> {
  const calls = JSON.parse(process.argv[2]!) as { channel: string; args: unknown }[];
  const detail = createDetailServices({
    sourceFactory: async () => createLinuxDetailSource(),
    poller: { subscribe: () => () => {}, getSnapshot: () => null },
  });
  const handlers = createDetailHandlers({ detail }) as unknown as RequestHandlers;
  for (const { channel, args } of calls) {
    let line: string;
    try {
      line = JSON.stringify(await dispatchRequest(handlers, channel, args, { sender: { id: 'nobody', push: () => {} } }));
    } catch (err) {
      line = JSON.stringify({ threw: String(err) });
    }
    process.stdout.write(`${line}\n`);
  }
  detail.dispose();
}

void main();
