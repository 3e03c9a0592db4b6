// The review form's logic, without React: the form's state from an invoice, the line-item
// edits, what Save sends, where an API error belongs, previous / next, approve-then-next.

import { ApiError } from "../../lib/api";
import type { InvoiceDetail, Row } from "../../lib/types";
import { HEADER_FIELDS, LINE_ITEM_FIELDS } from "./fields";

export function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** The header fields as the form edits them: text, "" for no value. */
export function headerOf(invoice: InvoiceDetail): Row {
  const source = invoice as unknown as Row;
  return Object.fromEntries(HEADER_FIELDS.map((f) => [f.name, text(source[f.name])]));
}

/** The line items with every column (a replaced item without one would lose it). */
export function itemsOf(invoice: InvoiceDetail): Row[] {
  return invoice.line_items.map((item) => Object.fromEntries(LINE_ITEM_FIELDS.map((f) => [f, item[f] ?? null])));
}

export function emptyLine(): Row {
  return Object.fromEntries(LINE_ITEM_FIELDS.map((f) => [f, null]));
}

export function addLine(items: Row[]): Row[] {
  return [...items, emptyLine()];
}

export function removeLine(items: Row[], index: number): Row[] {
  return items.filter((_row, i) => i !== index);
}

export function editLine(items: Row[], index: number, name: string, value: string): Row[] {
  return items.map((row, i) => (i === index ? { ...row, [name]: value } : row));
}

/** PUT /api/invoices/{id}/update's body: the header, and the line items numbered in their order. */
export function saveBody(header: Row, items: Row[]): { invoice_header: Row; line_items: Row[] } {
  return { invoice_header: header, line_items: items.map((row, i) => ({ ...row, line_number: i + 1 })) };
}

/** Where an API error belongs: a header field, a line item's cell, or the top of the form. */
export type ErrorPlace = { header: string } | { line: number; name: string } | { top: string } | null;

export function errorPlace(error: unknown): ErrorPlace {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const field = error instanceof ApiError ? error.field : null;
  const header = field?.match(/^invoice_header\.(\w+)$/);
  if (header) return { header: header[1] };
  const cell = field?.match(/^line_items\[(\d+)\]\.(\w+)$/);
  if (cell) return { line: Number(cell[1]), name: cell[2] };
  return { top: message };
}

/** The ids before and after `id` in the list the person came from (undefined at either end, or when not in it). */
export function neighbours(ids: string[], id: string): { previous?: string; next?: string } {
  const at = ids.indexOf(id);
  if (at < 0) return {};
  return { previous: at > 0 ? ids[at - 1] : undefined, next: at < ids.length - 1 ? ids[at + 1] : undefined };
}

export interface ApproveSteps {
  dirty: boolean;
  save: () => Promise<boolean>;
  approve: () => Promise<unknown>;
  next: () => Promise<string | null>;
}

/** Where approving leads: unsaved edits are saved first (a failed save approves nothing), then
 * the next invoice to review, or the Review screen saying there is none. null: stay (the save failed). */
export async function approveThenNext(
  steps: ApproveSteps,
  number: string | null,
  back?: string,
): Promise<{ to: string; state: { back?: string; notice?: string } } | null> {
  if (steps.dirty && !(await steps.save())) return null;
  await steps.approve();
  const next = await steps.next();
  if (next) return { to: `/invoices/${next}`, state: { back } };
  return { to: "/review", state: { notice: `Approved ${number ?? ""}. No more invoices to review.` } };
}
