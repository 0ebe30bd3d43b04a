// User flow: someone opens the browser host without the printed token (or with a wrong one) and is refused.
import { expect, test } from './fixtures';

test('the browser host refuses a wrong or missing token', async ({ page, serveHost }) => {
  for (const url of [`${serveHost.origin}/?token=${'0'.repeat(48)}`, `${serveHost.origin}/`]) {
    const response = await page.goto(url);
    expect(response?.status()).toBe(401);
    await expect(page.getByText('missing or wrong token')).toBeVisible();
    await expect(page.getByRole('treegrid')).toHaveCount(0);
  }
  // Even from the right origin, the socket needs the token.
  const closeCode = await page.evaluate(
    (origin) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws?token=nope`);
        ws.onclose = (e) => resolve(e.code);
      }),
    serveHost.origin,
  );
  expect(closeCode).toBe(1006);
});
