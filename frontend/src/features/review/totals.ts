// The review form's live checks: the line items against their own quantity x price, and their
// sum against the invoice's subtotal (or total). Amounts are compared in cents.

import type { Row } from "../../lib/types";

export function amount(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(String(value).replace(/[,\s]/g, ""));
  return Number.isFinite(n) ? n : null;
}

const cents = (n: number) => Math.round(n * 100);

/** The problem with one line, or null: quantity x unit price is not its total. */
export function lineProblem(item: Row): string | null {
  const qty = amount(item.quantity);
  const price = amount(item.unit_price);
  const total = amount(item.total_amount);
  if (qty === null || price === null || total === null) return null;
  const expected = qty * price;
  return cents(expected) === cents(total) ? null : `${qty} x ${price} is ${expected.toFixed(2)}, not ${total.toFixed(2)}`;
}

export function lineSum(items: Row[]): number {
  return items.reduce((sum, item) => sum + (amount(item.total_amount) ?? 0), 0);
}

/** The problem with the invoice's totals, or null. */
export function totalsProblem(header: Row, items: Row[]): string | null {
  if (items.length === 0) return null;
  const sum = lineSum(items);
  const subtotal = amount(header.subtotal);
  const total = amount(header.total_amount);
  const taxes = amount(header.total_taxes) ?? 0;
  if (subtotal !== null) {
    if (cents(sum) !== cents(subtotal)) return `The line items add up to ${sum.toFixed(2)}; the subtotal is ${subtotal.toFixed(2)}.`;
    if (total !== null && cents(subtotal + taxes) !== cents(total))
      return `Subtotal ${subtotal.toFixed(2)} plus taxes ${taxes.toFixed(2)} is ${(subtotal + taxes).toFixed(2)}; the total is ${total.toFixed(2)}.`;
    return null;
  }
  if (total !== null && cents(sum + taxes) !== cents(total))
    return `The line items and taxes add up to ${(sum + taxes).toFixed(2)}; the total is ${total.toFixed(2)}.`;
  return null;
}
