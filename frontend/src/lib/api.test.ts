import { beforeEach, describe, expect, it, vi } from "vitest";

// sessionStorage and window.INVOICE_CONFIG as the browser has them; fetch answered by each test.
const stored = new Map<string, string>();
vi.stubGlobal("sessionStorage", {
  getItem: (key: string) => stored.get(key) ?? null,
  setItem: (key: string, value: string) => void stored.set(key, value),
  removeItem: (key: string) => void stored.delete(key),
});
vi.stubGlobal("window", { INVOICE_CONFIG: { apiBase: "" } });
const fetchMock = vi.fn();
vi.stubGlobal("fetch", fetchMock);
const { api, getToken, onSessionExpired, setToken } = await import("./api");

const refused = () => new Response(JSON.stringify({ error: "Invalid or expired token" }), { status: 401 });

describe("a 401", () => {
  beforeEach(() => {
    stored.clear();
    fetchMock.mockReset();
  });

  it("signs out the session whose token it refused", async () => {
    const expired = vi.fn();
    const stop = onSessionExpired(expired);
    setToken("old");
    fetchMock.mockResolvedValue(refused());
    await expect(api("/api/invoices")).rejects.toMatchObject({ status: 401 });
    expect(getToken()).toBeNull();
    expect(expired).toHaveBeenCalledTimes(1);
    stop();
  });

  it("leaves a session started while the refused request was on its way", async () => {
    const expired = vi.fn();
    const stop = onSessionExpired(expired);
    setToken("old");
    let answer: (response: Response) => void = () => undefined;
    fetchMock.mockReturnValue(new Promise<Response>((resolve) => (answer = resolve)));
    const slow = api("/api/invoices");
    setToken("new"); // the user signed in again meanwhile
    answer(refused());
    await expect(slow).rejects.toMatchObject({ status: 401 });
    expect(getToken()).toBe("new");
    expect(expired).not.toHaveBeenCalled();
    expect(fetchMock.mock.calls[0][1].headers.get("Authorization")).toBe("Bearer old");
    stop();
  });
});
