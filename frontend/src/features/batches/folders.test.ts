import { describe, expect, it } from "vitest";
import { droppedFiles, entryFiles, invoiceFiles, isInvoiceFile } from "./folders";

// Stand-ins for the browser's FileSystemEntry objects (what webkitGetAsEntry() gives a drop)
function fileEntry(fullPath: string): FileSystemEntry {
  const name = fullPath.split("/").pop()!;
  return { isFile: true, isDirectory: false, name, fullPath, file: (ok: (f: File) => void) => ok(new File(["x"], name)) } as unknown as FileSystemEntry;
}
function directoryEntry(fullPath: string, entries: FileSystemEntry[], batchSize = 100): FileSystemEntry {
  return {
    isFile: false,
    isDirectory: true,
    name: fullPath.split("/").pop(),
    fullPath,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok: (batch: FileSystemEntry[]) => void) => {
          const batch = entries.slice(at, at + batchSize);
          at += batch.length;
          setTimeout(() => ok(batch));
        },
      };
    },
  } as unknown as FileSystemEntry;
}

describe("folders", () => {
  it("walks a dropped folder to any depth, every batch readEntries gives, with paths", async () => {
    const many = Array.from({ length: 250 }, (_x, n) => fileEntry(`/scans/many/${n}.pdf`));
    const tree = directoryEntry("/scans", [fileEntry("/scans/a.pdf"), directoryEntry("/scans/many", many), directoryEntry("/scans/empty", [])]);
    const found = await entryFiles(tree);
    expect(found).toHaveLength(251);
    expect(found[0]).toMatchObject({ path: "scans/a.pdf" });
    expect(found[0].file.name).toBe("a.pdf");
    expect(found[found.length - 1].path).toBe("scans/many/249.pdf");
  });
  it("takes a drop's entries, and an item without one as a plain file", async () => {
    const plain = new File(["x"], "loose.png");
    const items = [
      { kind: "file", webkitGetAsEntry: () => directoryEntry("/box", [fileEntry("/box/b.jpg")]), getAsFile: () => null },
      { kind: "file", webkitGetAsEntry: () => null, getAsFile: () => plain },
      { kind: "string", webkitGetAsEntry: () => null, getAsFile: () => null },
    ];
    const found = await droppedFiles({ items, files: [] } as unknown as DataTransfer);
    expect(found.map((p) => p.path)).toEqual(["box/b.jpg", "loose.png"]);
  });
  it("keeps PDF, HTML, PNG and JPEG files by name, and skips the rest and hidden files", () => {
    expect(["a.PDF", "b.htm", "c.html", "d.png", "e.jpg", "f.JPEG"].every(isInvoiceFile)).toBe(true);
    expect(["notes.txt", "a.pdf.zip", "pdf", "scan.tiff"].some(isInvoiceFile)).toBe(false);
    const picked = ["x/a.pdf", "x/notes.txt", "x/._a.pdf", "x/b.png"].map((path) => ({ path, file: new File([""], path.split("/").pop()!) }));
    const { files, skipped } = invoiceFiles(picked);
    expect(files.map((p) => p.path)).toEqual(["x/a.pdf", "x/b.png"]);
    expect(skipped).toEqual(["x/notes.txt", "x/._a.pdf"]);
  });
});
