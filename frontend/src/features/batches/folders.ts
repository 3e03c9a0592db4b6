// Files from a drop (loose files and whole folders, read through DataTransferItem.webkitGetAsEntry)
// or from a folder chosen with <input webkitdirectory>, each with its path in the folder, and
// the split into files the API takes (PDF, HTML, PNG, JPEG: by name) and the rest.

export const EXTENSIONS = [".pdf", ".html", ".htm", ".png", ".jpg", ".jpeg"];
export const ACCEPT = EXTENSIONS.join(",");

export interface Picked {
  file: File;
  /** the file's path inside what was dropped or chosen ("folder/sub/a.pdf"), else its name */
  path: string;
}

export function isInvoiceFile(name: string): boolean {
  const lower = name.toLowerCase();
  return EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Split into the files the API takes and the paths of those skipped (other types, hidden files). */
export function invoiceFiles(picked: Picked[]): { files: Picked[]; skipped: string[] } {
  const taken = (p: Picked) => isInvoiceFile(p.file.name) && !p.file.name.startsWith(".");
  return { files: picked.filter(taken), skipped: picked.filter((p) => !taken(p)).map((p) => p.path) };
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every entry of a directory: readEntries() gives them in batches (100 in Chromium) until an empty one. */
async function children(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

/** The files under an entry, folders walked to any depth. */
export async function entryFiles(entry: FileSystemEntry): Promise<Picked[]> {
  if (entry.isFile) return [{ file: await fileOf(entry as FileSystemFileEntry), path: entry.fullPath.replace(/^\//, "") }];
  if (!entry.isDirectory) return [];
  const nested = await Promise.all((await children(entry as FileSystemDirectoryEntry)).map(entryFiles));
  return nested.flat();
}

/** What a drop carries. The entries are taken while the event runs (they are gone after it);
 * an item the browser gives no entry for is taken as a plain file. */
export function droppedFiles(transfer: DataTransfer): Promise<Picked[]> {
  const items = Array.from(transfer.items ?? []).filter((item) => item.kind === "file");
  if (items.length === 0) return Promise.resolve(Array.from(transfer.files).map((file) => ({ file, path: file.name })));
  const pending = items.map((item) => {
    const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
    if (entry) return entryFiles(entry);
    const file = item.getAsFile();
    return Promise.resolve(file ? [{ file, path: file.name }] : []);
  });
  return Promise.all(pending).then((lists) => lists.flat());
}

/** The files of an <input type=file> (webkitdirectory or not), with their paths in the folder. */
export function chosenFiles(files: FileList | null): Picked[] {
  return Array.from(files ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
