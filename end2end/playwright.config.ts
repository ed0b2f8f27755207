import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";
import { ACCOUNT_COMMANDS, ACCOUNT_ENV } from "./tests/accounts";

// The real release server. The webServer runs with cwd "..", so the default path is resolved from this
// folder (end2end/../target/release/faraday) and a FARADAY_BIN given in the environment from the shell's cwd.
const faradayBin = path.resolve(process.env.FARADAY_BIN ?? path.join(__dirname, "../target/release/faraday"));

// A fresh database per run, so tests never see data from an earlier run (or from development).
// Workers load this file again: they inherit FARADAY_E2E_DATABASE_URL from the runner, so every
// process names the same database (tests run `faraday new-epoch` on it).
const databaseUrl =
  process.env.E2E_DATABASE_URL ??
  process.env.FARADAY_E2E_DATABASE_URL ??
  "sqlite://" + path.join(os.tmpdir(), `faraday-e2e-${process.pid}-${Date.now()}.db`);
process.env.FARADAY_E2E_DATABASE_URL = databaseUrl;

/** One shell command line of the server binary (the webServer command runs in a shell). */
const cli = (args: string[]) => [faradayBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: "http://127.0.0.1:3000",
    // Service workers are the point of an offline-first PWA; only Chromium supports them in Playwright.
    serviceWorkers: "allow",
    trace: "retain-on-failure",
    launchOptions: {
      // `npx playwright install` cannot download browsers here: use the system (Debian) Chromium.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  webServer: {
    // The staff accounts first (every page needs someone signed in), then the server.
    command: [...ACCOUNT_COMMANDS.map(cli), cli(["serve"])].join(" && "),
    cwd: "..",
    url: "http://127.0.0.1:3000/",
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      DATABASE_URL: databaseUrl,
      LEPTOS_SITE_ADDR: "127.0.0.1:3000",
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? "target/site",
      RUST_LOG: "info",
      ...ACCOUNT_ENV,
    },
  },
});
