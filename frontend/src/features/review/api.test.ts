import { beforeEach, describe, expect, it, vi } from "vitest";

const api = vi.fn();
vi.mock("../../lib/api", () => ({ api: (...args: unknown[]) => api(...args), fileUrl: vi.fn() }));
const { nextToReview } = await import("./api");

describe("nextToReview", () => {
  beforeEach(() => api.mockReset());
  it("asks for the oldest extracted invoices and skips the one just approved", async () => {
    api.mockResolvedValue({ invoices: [{ id: "inv-1" }, { id: "inv-2" }], total: 2 });
    expect(await nextToReview("inv-1")).toBe("inv-2");
    expect(api).toHaveBeenCalledWith("/api/invoices?status=processed&sort=created_at&limit=2");
    expect(await nextToReview("inv-9")).toBe("inv-1");
  });
  it("is null when no other invoice waits", async () => {
    api.mockResolvedValue({ invoices: [{ id: "inv-1" }], total: 1 });
    expect(await nextToReview("inv-1")).toBeNull();
    api.mockResolvedValue({ invoices: [], total: 0 });
    expect(await nextToReview()).toBeNull();
  });
});
