import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../lib/api";
import type { InvoiceDetail } from "../../lib/types";
import { LINE_ITEM_FIELDS } from "./fields";
import { addLine, approveThenNext, editLine, emptyLine, errorPlace, headerOf, itemsOf, neighbours, removeLine, saveBody } from "./form";
import { totalsProblem } from "./totals";

const invoice = {
  id: "inv-1",
  invoice_number: "A-1",
  invoice_date: "2024-04-01",
  subtotal: 500,
  total_taxes: "44.75",
  total_amount: 544.75,
  currency: null,
  vendor_name: "genesys",
  line_items: [
    { id: "li-1", invoice_id: "inv-1", line_number: 1, description: "Fiber", quantity: 1, unit_price: 450, total_amount: 450, created_at: "x" },
    { id: "li-2", invoice_id: "inv-1", line_number: 2, description: "Static IP", quantity: 1, unit_price: 50, total_amount: 50 },
  ],
} as unknown as InvoiceDetail;

describe("the form's state from an invoice", () => {
  it("holds every header field as text, empty for no value", () => {
    const header = headerOf(invoice);
    expect(header.invoice_number).toBe("A-1");
    expect(header.subtotal).toBe("500");
    expect(header.currency).toBe("");
    expect(header.due_date).toBe("");
    expect(header).not.toHaveProperty("vendor_name");
    expect(header).not.toHaveProperty("line_items");
  });
  it("keeps every line-item column, and only those (not ids or timestamps)", () => {
    const items = itemsOf(invoice);
    expect(items).toHaveLength(2);
    expect(Object.keys(items[0])).toEqual([...LINE_ITEM_FIELDS]);
    expect(items[0]).toMatchObject({ description: "Fiber", total_amount: 450, sku: null });
  });
});

describe("line-item editing", () => {
  const items = itemsOf(invoice);
  it("adds an empty line at the end, leaving the others as they were", () => {
    const added = addLine(items);
    expect(added).toHaveLength(3);
    expect(added[2]).toEqual(emptyLine());
    expect(added.slice(0, 2)).toEqual(items);
    expect(items).toHaveLength(2); // not changed in place
  });
  it("removes the line at an index", () => {
    expect(removeLine(items, 0).map((r) => r.description)).toEqual(["Static IP"]);
    expect(removeLine(items, 5)).toEqual(items);
  });
  it("edits one cell of one line", () => {
    const edited = editLine(items, 1, "total_amount", "55.00");
    expect(edited[1]).toEqual({ ...items[1], total_amount: "55.00" });
    expect(edited[0]).toBe(items[0]);
    expect(items[1].total_amount).toBe(50);
  });
  it("checks the totals live: an edit that breaks them is reported, one that mends them is not", () => {
    const header = headerOf(invoice);
    expect(totalsProblem(header, items)).toBeNull();
    const broken = editLine(items, 1, "total_amount", "55.00");
    expect(totalsProblem(header, broken)).toBe("The line items add up to 505.00; the subtotal is 500.00.");
    expect(totalsProblem({ ...header, subtotal: "505.00", total_amount: "549.75" }, broken)).toBeNull();
    expect(totalsProblem(header, removeLine(items, 1))).toBe("The line items add up to 450.00; the subtotal is 500.00.");
  });
});

describe("what Save sends", () => {
  it("the header and the line items numbered in the form's order", () => {
    const items = removeLine(addLine(itemsOf(invoice)), 0);
    const body = saveBody(headerOf(invoice), editLine(items, 1, "description", "Install"));
    expect(body.invoice_header.invoice_number).toBe("A-1");
    expect(body.line_items.map((r) => [r.line_number, r.description])).toEqual([
      [1, "Static IP"],
      [2, "Install"],
    ]);
    expect(Object.keys(body.line_items[1])).toEqual([...LINE_ITEM_FIELDS]);
  });
});

describe("where an API error is shown", () => {
  it.each([
    [new ApiError(400, "bad date", "invoice_header.invoice_date", {}), { header: "invoice_date" }],
    [new ApiError(400, "not a number", "line_items[3].quantity", {}), { line: 3, name: "quantity" }],
    [new ApiError(400, "line_items[0] must be an object", "line_items[0]", {}), { top: "line_items[0] must be an object" }],
    [new ApiError(409, "changed meanwhile", null, {}), { top: "changed meanwhile" }],
    [new Error("network down"), { top: "network down" }],
    [null, null],
  ])("%s", (error, place) => {
    expect(errorPlace(error)).toEqual(place);
  });
});

describe("previous / next", () => {
  it("are the neighbours in the list the person came from", () => {
    expect(neighbours(["a", "b", "c"], "b")).toEqual({ previous: "a", next: "c" });
    expect(neighbours(["a", "b", "c"], "a")).toEqual({ previous: undefined, next: "b" });
    expect(neighbours(["a", "b", "c"], "c")).toEqual({ previous: "b", next: undefined });
    expect(neighbours(["a"], "z")).toEqual({});
  });
});

describe("approve, then the next invoice", () => {
  function steps(dirty: boolean, saved: boolean, next: string | null) {
    const calls: string[] = [];
    return {
      calls,
      steps: {
        dirty,
        save: vi.fn(async () => (calls.push("save"), saved)),
        approve: vi.fn(async () => calls.push("approve")),
        next: vi.fn(async () => (calls.push("next"), next)),
      },
    };
  }
  it("saves unsaved edits first, then approves and opens the next pending invoice", async () => {
    const { calls, steps: s } = steps(true, true, "inv-2");
    expect(await approveThenNext(s, "A-1", "/invoices?status=processed")).toEqual({ to: "/invoices/inv-2", state: { back: "/invoices?status=processed" } });
    expect(calls).toEqual(["save", "approve", "next"]);
  });
  it("approves nothing when the save fails", async () => {
    const { calls, steps: s } = steps(true, false, "inv-2");
    expect(await approveThenNext(s, "A-1")).toBeNull();
    expect(calls).toEqual(["save"]);
  });
  it("does not save an unchanged form", async () => {
    const { calls, steps: s } = steps(false, true, "inv-2");
    await approveThenNext(s, "A-1");
    expect(calls).toEqual(["approve", "next"]);
  });
  it("returns to the Review screen saying so when none is left", async () => {
    const { steps: s } = steps(false, true, null);
    expect(await approveThenNext(s, "A-1")).toEqual({ to: "/review", state: { notice: "Approved A-1. No more invoices to review." } });
  });
  it("does not look for the next when the approval is refused", async () => {
    const { calls, steps: s } = steps(false, true, "inv-2");
    s.approve.mockRejectedValueOnce(new ApiError(409, "already approved", null, {}));
    await expect(approveThenNext(s, "A-1")).rejects.toThrow("already approved");
    expect(calls).toEqual([]);
  });
});
