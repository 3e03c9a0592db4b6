import { Alert, Box, Button, FormControl, FormHelperText, InputLabel, MenuItem, Paper, Select, Typography } from "@mui/material";
import { useRef, useState, type FormEvent } from "react";
import { fieldError, formError } from "../../lib/api";
import { useUpload, useVendors } from "./api";

const ACCEPT = ".pdf,.html,.htm,.png,.jpg,.jpeg";

export function UploadForm() {
  const vendors = useVendors();
  const upload = useUpload();
  const [vendorId, setVendorId] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!file || !vendorId) return;
    upload.mutate(
      { vendorId, file },
      {
        onSuccess: () => {
          setFile(null);
          if (fileInput.current) fileInput.current.value = "";
        },
      },
    );
  }

  const active = (vendors.data ?? []).filter((v) => v.active);
  const vendorError = fieldError(upload.error, "vendor_id") ?? (vendors.error ? formError(vendors.error) : undefined);
  const fileError = fieldError(upload.error, "invoice");
  const top = formError(upload.error, ["vendor_id", "invoice"]);
  return (
    <Paper component="section" aria-labelledby="upload-heading" sx={{ p: 2, mb: 3 }}>
      <Typography id="upload-heading" variant="h6" component="h2" gutterBottom>
        Upload an invoice
      </Typography>
      <Box component="form" onSubmit={submit} sx={{ display: "flex", gap: 2, flexWrap: "wrap", alignItems: "flex-start" }}>
        <FormControl sx={{ minWidth: 220 }} error={Boolean(vendorError)} required>
          <InputLabel id="upload-vendor-label">Vendor</InputLabel>
          <Select
            labelId="upload-vendor-label"
            label="Vendor"
            value={vendorId}
            onChange={(e) => setVendorId(e.target.value)}
          >
            {active.map((v) => (
              <MenuItem key={v.id} value={v.id}>
                {v.display_name || v.name}
              </MenuItem>
            ))}
          </Select>
          <FormHelperText>{vendorError ?? (vendors.isLoading ? "Loading vendors…" : " ")}</FormHelperText>
        </FormControl>
        <FormControl error={Boolean(fileError)}>
          <Button variant="outlined" component="label" sx={{ height: 56 }}>
            {file ? file.name : "Choose file"}
            <input
              ref={fileInput}
              type="file"
              hidden
              accept={ACCEPT}
              aria-label="Invoice file (PDF, HTML, PNG, JPEG)"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </Button>
          <FormHelperText>{fileError ?? "PDF, HTML, PNG or JPEG"}</FormHelperText>
        </FormControl>
        <Button type="submit" variant="contained" sx={{ height: 56 }} disabled={!file || !vendorId || upload.isPending}>
          {upload.isPending ? "Uploading…" : "Upload"}
        </Button>
      </Box>
      <Box role="status" aria-live="polite">
        {upload.isSuccess && (
          <Alert severity="success" sx={{ mt: 2 }}>
            Uploaded {upload.variables?.file.name}: invoice {upload.data.invoice.invoice_number ?? "without a number"},{" "}
            {upload.data.invoice.line_items_count} line items
          </Alert>
        )}
      </Box>
      {top && (
        <Alert severity="error" sx={{ mt: 2 }}>
          Upload failed: {top}
        </Alert>
      )}
    </Paper>
  );
}
