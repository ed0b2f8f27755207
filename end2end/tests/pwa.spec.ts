import { test, expect } from "@playwright/test";

type ManifestIcon = { src: string; sizes?: string; type?: string; purpose?: string };

test("the manifest and service worker are served and the worker is active", async ({ page, request }) => {
  await test.step("manifest", async () => {
    const response = await request.get("/manifest.webmanifest");
    expect(response.status()).toBe(200);
    const manifest = (await response.json()) as { name?: string; icons?: ManifestIcon[] };
    expect(manifest.name).toBe("Faraday");
    const icons = manifest.icons ?? [];
    expect(icons.some((icon) => (icon.sizes ?? "").split(/\s+/).includes("512x512"))).toBe(true);
    for (const icon of icons) {
      const iconResponse = await request.get(icon.src);
      expect(iconResponse.status(), icon.src).toBe(200);
      expect(iconResponse.headers()["content-type"], icon.src).toMatch(/^image\/png\b/);
    }
  });

  await test.step("service worker script", async () => {
    const response = await request.get("/sw.js");
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^(text|application)\/(x-)?javascript\b/);
    const body = await response.text();
    // The server must stamp the build into the template, or deployments would never update the worker.
    expect(body).not.toContain("__FARADAY_BUILD__");
    expect(body).toContain("faraday-shell-");
  });

  await test.step("the page registers and activates the worker", async () => {
    await page.goto("/");
    // `ready` resolves once the registration has an active worker (registered by the app itself),
    // which may still be "activating": poll until activation finished.
    const registration = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return { scope: reg.scope, script: reg.active?.scriptURL ?? "" };
    });
    expect(new URL(registration.script).pathname).toBe("/sw.js");
    expect(new URL(registration.scope).pathname).toBe("/");
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), {
        timeout: 30_000,
      })
      .toBe("activated");

    const manifestHref = await page.evaluate(
      () => document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href ?? null,
    );
    expect(manifestHref, '<link rel="manifest"> is missing').not.toBeNull();
    expect(new URL(manifestHref!).pathname).toBe("/manifest.webmanifest");
  });

  await test.step("Chromium considers the app installable", async () => {
    const cdp = await page.context().newCDPSession(page);
    // Playwright's contexts are incognito profiles, which Chromium never installs from ("in-incognito");
    // every other reason (manifest fields, icons, service worker, start URL) must be absent.
    const reasons = async () =>
      (await cdp.send("Page.getInstallabilityErrors")).installabilityErrors
        .map((e) => e.errorId)
        .filter((id) => id !== "in-incognito");
    await expect
      .poll(reasons, {
        timeout: 15_000,
      })
      .toEqual([]);
  });
});
