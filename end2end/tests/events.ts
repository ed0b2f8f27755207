import { APIRequestContext, expect } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { ACCOUNTS, PASSWORD, Who } from "./accounts";

/**
 * Signs `who` in on a request context as device `device` (its cookie then holds that session, and
 * the context's pushes must name that device): what a device's sign-in does, without a page.
 */
export async function apiSignIn(request: APIRequestContext, device: string, who: Who = "desk") {
  const response = await request.post("/api/auth/login", {
    data: { email: ACCOUNTS[who].email, password: PASSWORD, device },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as { staff: string; club: string; role: string; expires_ms: number };
}

/** A UUIDv7 (the only kind of event id the log accepts): 48 bits of milliseconds, then random. */
export function uuidv7(ms = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export type NewMember = { name: string; email?: string; phone?: string };

/**
 * Registers members straight through the sync API, as another device would (one push of up to
 * 2,000 events): for tests that need many members, or members that arrive live.
 */
export async function pushMembers(request: APIRequestContext, members: NewMember[], device = "e2e-bulk") {
  const { staff } = await apiSignIn(request, device);
  const now = Date.now();
  const batches = members.map((m, i) => {
    const stream = `member-${uuidv7(now)}`;
    return {
      stream,
      parent_version: 0,
      events: [
        {
          id: uuidv7(now),
          stream,
          version: 1,
          type: "MemberRegistered",
          schema_version: 1,
          data: { name: m.name, email: m.email ?? "", phone: m.phone ?? "" },
          hlc: { ms: now, c: i },
          device,
          staff,
        },
      ],
    };
  });
  const response = await request.post("/api/sync/push", { data: { device, batches } });
  expect(response.status(), await response.text()).toBe(200);
}

/** `n` members named "<prefix> 1" … "<prefix> n". */
export function numbered(prefix: string, n: number): NewMember[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix} ${i + 1}` }));
}

/**
 * Every event in the log of the club the context is signed in to (paged through the pull API); a
 * context not signed in yet signs in as the Demo club's front desk.
 */
export async function serverEvents(request: APIRequestContext): Promise<any[]> {
  if ((await request.get("/api/auth/session")).status() === 401) await apiSignIn(request, "e2e-reader");
  const events: any[] = [];
  for (let after = 0; ; ) {
    const page = await (await request.get(`/api/sync/pull?after=${after}&limit=5000`)).json();
    events.push(...page.events);
    if (!page.has_more) return events;
    after = page.next;
  }
}
