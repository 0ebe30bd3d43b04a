// User flow (issue 14): Properties of a running program opens its own window (a tab of the browser host) whose tabs
// show what the program holds — the shared library it dlopen()ed (Modules), the file it keeps open (Handles), its
// TCP listener (TCP/IP), its environment only after the secrets warning and an explicit Show (Environment), and the
// function one of its threads is parked in (Threads → Stack), all read by the real Linux backend.
import { chooseFromRowMenu, expect as baseExpect, openAndFilter, processRow, test } from './fixtures';
import { startDetailTarget, type DetailTarget } from './detail-target';

// A tab's first read can wait behind the host's other reads (the Image tab's package lookup reads dpkg's lists) on a
// loaded machine: seconds, not the default 5.
const expect = baseExpect.configure({ timeout: 15_000 });

let target: DetailTarget | null = null;
test.afterEach(() => {
  target?.stop();
  target = null;
});

test('Properties shows the modules, handles, sockets, environment (after the warning) and a parked thread’s stack', async ({ page, serveHost }) => {
  const t = (target = await startDetailTarget());
  await openAndFilter(page, serveHost, t.marker);
  const popup = page.waitForEvent('popup');
  await chooseFromRowMenu(page, processRow(page, 'detail-target', t.pid), 'Properties');
  const win = await popup;
  await expect(win.getByRole('heading', { name: `Properties: detail-target (PID ${t.pid})` })).toBeVisible();
  await expect(win.getByRole('tabpanel')).toContainText(t.marker); // the Image tab's command line

  await win.getByRole('tab', { name: 'Modules' }).click();
  await expect(win.getByRole('table', { name: 'Modules' })).toContainText(t.libraryPath);

  await win.getByRole('tab', { name: 'Handles' }).click();
  await expect(win.getByRole('table', { name: 'Handles' })).toContainText(t.openFile);

  await win.getByRole('tab', { name: 'TCP/IP' }).click();
  const listener = win.getByRole('table', { name: 'TCP/IP' }).getByRole('row').filter({ hasText: `127.0.0.1:${t.port}` });
  await expect(listener).toContainText('LISTEN');

  await win.getByRole('tab', { name: 'Environment' }).click();
  await expect(win.getByText('The environment may hold secrets')).toBeVisible();
  await expect(win.locator('body')).not.toContainText(t.envMarker);
  await expect(win.getByRole('table', { name: 'Environment' })).toHaveCount(0);
  await win.getByRole('button', { name: 'Show' }).click();
  const env = win.getByRole('table', { name: 'Environment' }).getByRole('row').filter({ hasText: 'PSDETAIL_SECRET' });
  await expect(env).toContainText(t.envMarker);

  await win.getByRole('tab', { name: 'Threads' }).click();
  const threads = win.getByRole('table', { name: 'Threads' });
  await threads.getByRole('row').filter({ hasText: 'detail-parked' }).click();
  await win.getByRole('button', { name: 'Stack' }).click();
  const stack = win.getByRole('region', { name: `Stack of thread ${t.parkedTid}` });
  await expect(stack.getByRole('listitem').filter({ hasText: 'psdetail_parked_here' })).toBeVisible({ timeout: 10_000 });
  await win.screenshot({ path: 'test-results/screenshots/properties-threads.png' });

  // A second Properties of the same process goes back to its window instead of opening another.
  const pages = page.context().pages().length;
  await chooseFromRowMenu(page, processRow(page, 'detail-target', t.pid), 'Properties');
  await expect.poll(() => page.context().pages().length).toBe(pages);

  // When the process exits the window says so and keeps the last data.
  t.stop();
  await expect(win.getByText('Process exited — the last data read is shown.')).toBeVisible({ timeout: 10_000 });
  await expect(threads).toContainText('detail-parked');
});
