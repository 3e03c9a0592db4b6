// The review form's live checks, the same rules as the API's (app/extraction/validation.py,
// _check_line_amounts and _check_totals), so the form warns exactly when the API would:
// - a line's quantity x unit price is its subtotal (its total when it has no subtotal);
// - the line items, each counted by its total (else its subtotal), add up to the subtotal, the
//   total, or the total less taxes and fees (line amounts may be before or after tax);
// - the total is subtotal + taxes + fees.
// Amounts agree within one cent.

import type { Row } from "../../lib/types";

export function amount(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(String(value).replace(/[,\s]/g, ""));
  return Number.isFinite(n) ? n : null;
}

const cents = (n: number) => Math.round(n * 100);
const agree = (a: number, b: number) => Math.abs(cents(a) - cents(b)) <= 1;
const money = (n: number) => n.toFixed(2);

/** The problem with one line, or null: quantity x unit price is not its subtotal (or total). */
export function lineProblem(item: Row): string | null {
  const qty = amount(item.quantity);
  const price = amount(item.unit_price);
  const stated = amount(item.subtotal) ?? amount(item.total_amount);
  if (qty === null || price === null || stated === null) return null;
  const expected = qty * price;
  return agree(expected, stated) ? null : `${qty} x ${price} is ${money(expected)}, not ${money(stated)}`;
}

/** What one line counts for in the invoice's sum: its total, else its subtotal. */
export function lineAmount(item: Row): number | null {
  return amount(item.total_amount) ?? amount(item.subtotal);
}

export function lineSum(items: Row[]): number {
  return items.reduce((sum, item) => sum + (lineAmount(item) ?? 0), 0);
}

/** The problem with the invoice's totals, or null. */
export function totalsProblem(header: Row, items: Row[]): string | null {
  const subtotal = amount(header.subtotal);
  const total = amount(header.total_amount);
  const taxes = amount(header.total_taxes) ?? 0;
  const fees = amount(header.total_fees) ?? 0;
  const known = items.map(lineAmount);
  if (known.length > 0 && known.every((a) => a !== null)) {
    const sum = lineSum(items);
    const candidates = [subtotal, total, total === null ? null : total - taxes - fees];
    if (!candidates.some((c) => c !== null && agree(c, sum))) {
      if (subtotal !== null) return `The line items add up to ${money(sum)}; the subtotal is ${money(subtotal)}.`;
      if (total !== null) return `The line items add up to ${money(sum)}; the total is ${money(total)}.`;
    }
  }
  if (subtotal !== null && total !== null && !agree(subtotal + taxes + fees, total))
    return `Subtotal ${money(subtotal)} plus taxes ${money(taxes)} and fees ${money(fees)} is ${money(
      subtotal + taxes + fees,
    )}; the total is ${money(total)}.`;
  return null;
}
