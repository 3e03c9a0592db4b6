import { describe, expect, it } from "vitest";
import { amount, lineProblem, lineSum, totalsProblem } from "./totals";

describe("amount", () => {
  it.each([
    [null, null],
    [undefined, null],
    ["", null],
    ["abc", null],
    [12.5, 12.5],
    ["1,234.50", 1234.5],
    [" 7 ", 7],
    ["-3.25", -3.25],
  ])("reads %j as %j", (input, expected) => {
    expect(amount(input)).toBe(expected);
  });
});

describe("lineProblem", () => {
  it("is null when quantity x unit price is the line's subtotal, else its total, within a cent", () => {
    expect(lineProblem({ quantity: "3", unit_price: "0.1", total_amount: "0.30" })).toBeNull();
    expect(lineProblem({ quantity: 2, unit_price: 450, total_amount: 900 })).toBeNull();
    expect(lineProblem({ quantity: 2, unit_price: 450, subtotal: 900, total_amount: 981 })).toBeNull(); // total after tax
    expect(lineProblem({ quantity: 3, unit_price: 3.333, total_amount: 10.0 })).toBeNull(); // 9.999
  });
  it("names the product and the amount it should be when they differ", () => {
    expect(lineProblem({ quantity: "2", unit_price: "450", total_amount: "450" })).toBe("2 x 450 is 900.00, not 450.00");
    expect(lineProblem({ quantity: 2, unit_price: 450, subtotal: 800, total_amount: 900 })).toBe("2 x 450 is 900.00, not 800.00");
  });
  it("checks nothing while a value is missing or not a number", () => {
    expect(lineProblem({ quantity: null, unit_price: "450", total_amount: "1" })).toBeNull();
    expect(lineProblem({ quantity: "x", unit_price: "450", total_amount: "1" })).toBeNull();
  });
});

describe("lineSum", () => {
  it("adds each line's total (else its subtotal), a missing one as zero", () => {
    expect(lineSum([{ total_amount: "450.00" }, { total_amount: 50 }, { total_amount: null }, { total_amount: "" }])).toBe(500);
    expect(lineSum([{ total_amount: null, subtotal: "20" }, { total_amount: 5, subtotal: 4 }])).toBe(25);
    expect(lineSum([])).toBe(0);
  });
});

describe("totalsProblem", () => {
  const lines = [{ total_amount: "450.00" }, { total_amount: "50.00" }];
  it("is null when the lines make the subtotal and subtotal plus taxes and fees the total", () => {
    expect(totalsProblem({ subtotal: "500.00", total_taxes: "44.75", total_amount: "544.75" }, lines)).toBeNull();
    expect(totalsProblem({ subtotal: "500.00", total_taxes: "40", total_fees: "4.75", total_amount: "544.75" }, lines)).toBeNull();
  });
  it("accepts lines that add up to the total, or to the total less taxes and fees", () => {
    expect(totalsProblem({ subtotal: "", total_amount: "500" }, lines)).toBeNull();
    expect(totalsProblem({ subtotal: "", total_taxes: "44.75", total_amount: "544.75" }, lines)).toBeNull();
  });
  it("says the lines do not make the subtotal", () => {
    expect(totalsProblem({ subtotal: "510", total_amount: "554.75", total_taxes: "44.75" }, lines)).toBe(
      "The line items add up to 500.00; the subtotal is 510.00.",
    );
  });
  it("without a subtotal, says the lines do not make the total", () => {
    expect(totalsProblem({ subtotal: "", total_taxes: "10", total_amount: "544.75" }, lines)).toBe(
      "The line items add up to 500.00; the total is 544.75.",
    );
  });
  it("says subtotal plus taxes and fees is not the total", () => {
    expect(totalsProblem({ subtotal: "500", total_taxes: "44.75", total_amount: "600" }, lines)).toBe(
      "Subtotal 500.00 plus taxes 44.75 and fees 0.00 is 544.75; the total is 600.00.",
    );
    // without line items only the header is checked
    expect(totalsProblem({ subtotal: "1", total_amount: "2" }, [])).toBe("Subtotal 1.00 plus taxes 0.00 and fees 0.00 is 1.00; the total is 2.00.");
  });
  it("does not check the sum while a line has no amount, nor with no subtotal and no total", () => {
    expect(totalsProblem({ subtotal: "510", total_amount: "510" }, [...lines, { total_amount: null }])).toBeNull();
    expect(totalsProblem({ subtotal: "", total_amount: "" }, lines)).toBeNull();
  });
});
