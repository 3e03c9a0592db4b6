import { describe, expect, it } from "vitest";
import TABLES from "../../../../app/tables.py?raw";
import { HEADER_FIELDS, LINE_COLUMNS, LINE_ITEM_FIELDS } from "./fields";

// The API's editable columns: the _field(...) lines of app/tables.py's invoices and line_items tables.

function apiFields(table: string): Map<string, string> {
  const start = TABLES.indexOf(`${table} = sa.Table(`);
  const end = TABLES.indexOf("\n)\n", start);
  expect(start, `app/tables.py defines ${table}`).toBeGreaterThan(-1);
  const fields = new Map<string, string>();
  for (const match of TABLES.slice(start, end).matchAll(/_field\("(\w+)", ([\w.]+)(?:\([^)]*\))?(?:, kind="(\w+)")?\)/g)) {
    fields.set(match[1], match[3] ?? match[2]);
  }
  return fields;
}

const KIND_OF_TYPE: Record<string, string> = { "sa.Date": "date", MONEY: "money", QTY: "qty", "sa.String": "str", "sa.Text": "text", "sa.Integer": "int" };

describe("fields", () => {
  it("the header form has every header column the API takes, of its kind", () => {
    const api = apiFields("invoices");
    expect(api.size).toBeGreaterThan(15);
    expect(new Set(HEADER_FIELDS.map((f) => f.name))).toEqual(new Set(api.keys()));
    for (const field of HEADER_FIELDS) expect([field.name, field.kind]).toEqual([field.name, KIND_OF_TYPE[api.get(field.name)!] ?? api.get(field.name)]);
  });
  it("a line item keeps every line-item column the API takes, in the table's order", () => {
    expect([...LINE_ITEM_FIELDS]).toEqual([...apiFields("line_items").keys()]);
  });
  it("labels are unique and the editable line columns are line-item columns", () => {
    expect(new Set(HEADER_FIELDS.map((f) => f.label)).size).toBe(HEADER_FIELDS.length);
    for (const column of LINE_COLUMNS) expect(LINE_ITEM_FIELDS).toContain(column.name);
  });
});
