import {
  Alert,
  Box,
  Button,
  FormControl,
  FormHelperText,
  InputLabel,
  LinearProgress,
  List,
  ListItem,
  ListItemText,
  MenuItem,
  Paper,
  Select,
  Typography,
} from "@mui/material";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type DragEvent } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { api, fieldError, formError, uploadWithProgress } from "../../lib/api";
import type { Batch } from "../../lib/types";
import { useVendors } from "../invoices/api";
import { ACCEPT, chosenFiles, droppedFiles, invoiceFiles, type Picked } from "./folders";

interface Item extends Picked {
  progress: number;
  error: string | null;
}

/** Vendor, many files (chosen or dropped), one upload per file with its progress, then the batch starts. */
export function ImportPage() {
  const vendors = useVendors();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [vendorId, setVendorId] = useState("");
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // the batch started while some files were refused: those stay listed with their error
  const [started, setStarted] = useState<{ id: string; refused: number } | null>(null);
  // the files of the last drop or folder that are not invoices (by name), not added
  const [skipped, setSkipped] = useState<string[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement | null>(null);

  function add(picked: Picked[]) {
    setItems((list) => {
      const known = new Set(list.map((i) => `${i.path}:${i.file.size}`));
      const fresh = picked.filter((p) => !known.has(`${p.path}:${p.file.size}`));
      return [...list, ...fresh.map((p) => ({ ...p, progress: 0, error: null }))];
    });
  }
  /** Dropped files and folders, and chosen folders: only invoice files are added; the rest are named. */
  function addInvoices(picked: Picked[]) {
    const { files, skipped: others } = invoiceFiles(picked);
    setSkipped(others);
    add(files);
  }
  function drop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    droppedFiles(event.dataTransfer).then(addInvoices, (err: unknown) => setError(err));
  }
  const update = (index: number, change: Partial<Item>) =>
    setItems((list) => list.map((item, i) => (i === index ? { ...item, ...change } : item)));

  async function start() {
    setBusy(true);
    setError(null);
    try {
      const { batch } = await api<{ batch: Batch }>("/api/batches/init", { json: { vendor_id: vendorId } });
      let failed = 0;
      for (const [index, item] of items.entries()) {
        const form = new FormData();
        // the name alone: a file from a chosen folder would be sent as "folder/sub/name" (refused as unsafe)
        form.append("files", item.file, item.file.name);
        try {
          await uploadWithProgress(`/api/batches/${batch.id}/files`, form, (share) => update(index, { progress: share }));
        } catch (err) {
          failed += 1;
          update(index, { error: formError(err) ?? "upload failed" });
        }
      }
      if (failed === items.length) throw new Error("No file could be uploaded: nothing to process.");
      await api(`/api/batches/${batch.id}/process`, { method: "POST" });
      void queryClient.invalidateQueries({ queryKey: ["batches"] });
      if (failed === 0) navigate(`/batches/${batch.id}`);
      else setStarted({ id: batch.id, refused: failed });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const vendorError = fieldError(error, "vendor_id");
  const top = formError(error, ["vendor_id"]);
  return (
    <>
      <Typography variant="h4" component="h1" gutterBottom>
        Import
      </Typography>
      <Paper sx={{ p: 2 }}>
        <FormControl sx={{ minWidth: 260, mb: 2 }} error={Boolean(vendorError)} required>
          <InputLabel id="import-vendor-label">Vendor</InputLabel>
          <Select labelId="import-vendor-label" label="Vendor" value={vendorId} onChange={(e) => setVendorId(e.target.value)} disabled={busy}>
            {(vendors.data ?? [])
              .filter((v) => v.active)
              .map((v) => (
                <MenuItem key={v.id} value={v.id}>
                  {v.display_name || v.name}
                </MenuItem>
              ))}
          </Select>
          <FormHelperText>{vendorError ?? (vendors.error ? formError(vendors.error) : " ")}</FormHelperText>
        </FormControl>
        <Box
          role="region"
          aria-label="Drop invoice files here"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
          sx={{
            border: 2,
            borderStyle: "dashed",
            borderColor: over ? "primary.main" : "divider",
            borderRadius: 1,
            p: 4,
            textAlign: "center",
            bgcolor: over ? "action.hover" : undefined,
          }}
        >
          <Typography gutterBottom>Drop PDF, HTML, PNG or JPEG files or folders of them here, or</Typography>
          <Button variant="outlined" component="label" disabled={busy}>
            Choose files
            <input
              ref={input}
              type="file"
              hidden
              multiple
              accept={ACCEPT}
              aria-label="Invoice files"
              onChange={(e) => {
                add(chosenFiles(e.target.files));
                if (input.current) input.current.value = "";
              }}
            />
          </Button>{" "}
          <Button variant="outlined" component="label" disabled={busy}>
            Choose folder
            <input
              ref={(element) => {
                folderInput.current = element;
                element?.setAttribute("webkitdirectory", ""); // React knows no such prop
              }}
              type="file"
              hidden
              multiple
              aria-label="Invoice folder"
              onChange={(e) => {
                addInvoices(chosenFiles(e.target.files));
                if (folderInput.current) folderInput.current.value = "";
              }}
            />
          </Button>
        </Box>
        <Box role="status" aria-live="polite">
          {skipped.length > 0 && (
            <Alert severity="info" sx={{ mt: 2 }} onClose={() => setSkipped([])}>
              Skipped {skipped.length} file{skipped.length === 1 ? "" : "s"} that {skipped.length === 1 ? "is" : "are"} not PDF, HTML, PNG or JPEG:{" "}
              {skipped.slice(0, 10).join(", ")}
              {skipped.length > 10 ? ` and ${skipped.length - 10} more` : ""}
            </Alert>
          )}
        </Box>
        {items.length > 0 && (
          <List aria-label="Files to import" dense>
            {items.map((item, index) => (
              <ListItem
                key={`${item.path}:${item.file.size}`}
                secondaryAction={
                  !busy && (
                    <Button size="small" onClick={() => setItems((list) => list.filter((_x, i) => i !== index))}>
                      Remove {item.file.name}
                    </Button>
                  )
                }
              >
                <ListItemText
                  primary={item.path}
                  secondary={
                    item.error ? (
                      <Typography component="span" color="error" variant="body2">
                        {item.error}
                      </Typography>
                    ) : (
                      <LinearProgress
                        sx={{ display: "block", mt: 1, mr: 16 }}
                        variant="determinate"
                        value={Math.round(item.progress * 100)}
                        aria-label={`${item.file.name} upload`}
                      />
                    )
                  }
                />
              </ListItem>
            ))}
          </List>
        )}
        {top && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {top}
          </Alert>
        )}
        {started && (
          <Alert
            severity="warning"
            sx={{ mt: 2 }}
            action={
              <Button component={RouterLink} to={`/batches/${started.id}`} color="inherit">
                Watch the batch
              </Button>
            }
          >
            {started.refused} file{started.refused === 1 ? " was" : "s were"} refused (see above); the batch started with the
            others.
          </Alert>
        )}
        <Button variant="contained" sx={{ mt: 2 }} disabled={busy || started !== null || !vendorId || items.length === 0} onClick={() => void start()}>
          {busy ? "Importing…" : `Import ${items.length} file${items.length === 1 ? "" : "s"}`}
        </Button>
      </Paper>
    </>
  );
}
