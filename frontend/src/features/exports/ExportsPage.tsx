import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormHelperText,
  FormLabel,
  InputLabel,
  MenuItem,
  Paper,
  Radio,
  RadioGroup,
  Select,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { DataTable, type Column } from "../../components/DataTable";
import { StatusSelect, VendorSelect } from "../../components/VendorSelect";
import { fieldError, formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import { useDebouncedDraft } from "../../lib/useUrlFilters";
import { useVendors } from "../invoices/api";
import { TemplateDialog } from "./TemplateDialog";
import {
  NO_FILTERS,
  sumTotals,
  useDeleteTemplate,
  useDownload,
  useGenerate,
  useRecent,
  useSelectionPreview,
  useTemplates,
  type ExportFilters,
  type ExportTemplate,
  type RecentExport,
} from "./api";

/** What the Invoices screen hands over for "Export selected": the chosen invoices. */
export interface SelectedInvoices {
  ids: string[];
  rows: { total_amount: string | number | null; currency: string | null }[];
}

const DATE_RANGES: Record<string, string> = { today: "Uploaded today", week: "Uploaded this week", month: "Uploaded this month" };
const FILTER_KEYS = ["status", "vendor_id", "search", "start_date", "end_date", "date_range"];
const FILTER_FIELDS = FILTER_KEYS.map((k) => `filters.${k}`);
const GENERATE_FIELDS = ["template_id", "format", "filters.invoice_ids", ...FILTER_FIELDS];

function amounts(totals: Record<string, number>): string {
  const parts = Object.entries(totals).map(
    ([currency, sum]) => `${sum.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}${currency ? ` ${currency}` : ""}`,
  );
  return parts.length ? parts.join(" + ") : "no amounts";
}

function size(bytes: number | null): string {
  if (bytes === null) return "";
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

export function ExportsPage() {
  const { user } = useSession();
  const canManage = user?.role === "admin" || user?.role === "reviewer";
  const location = useLocation();
  const navigate = useNavigate();
  const handed = (location.state as { selected?: SelectedInvoices } | null)?.selected ?? null;
  const [selected, setSelected] = useState<SelectedInvoices | null>(handed);
  const [filters, setFilters] = useState<ExportFilters>(NO_FILTERS);
  const vendors = useVendors();
  const templates = useTemplates();
  const recent = useRecent();
  const generate = useGenerate();
  const download = useDownload();
  const removal = useDeleteTemplate();
  const [templateId, setTemplateId] = useState("");
  const [format, setFormat] = useState<"xlsx" | "csv">("xlsx");
  const [editing, setEditing] = useState<ExportTemplate | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<ExportTemplate | null>(null);
  const [notice, setNotice] = useState("");
  const preview = useSelectionPreview(filters, !selected);

  const [search, setSearch] = useDebouncedDraft(filters.search, (value) => setFilters((f) => ({ ...f, search: value })));
  // the first template is chosen until the user chooses one
  useEffect(() => {
    const list = templates.data ?? [];
    if (list.length && !list.some((t) => t.id === templateId)) setTemplateId(list[0].id);
  }, [templates.data, templateId]);

  function setFilter(change: Partial<ExportFilters>) {
    setFilters((f) => ({ ...f, ...change }));
  }
  function clearSelection() {
    setSelected(null);
    navigate(location.pathname, { replace: true, state: null });
  }

  const vendorName = (id: string) => {
    const v = (vendors.data ?? []).find((x) => x.id === id);
    return v ? v.display_name || v.name : id;
  };
  const chips: { key: keyof ExportFilters; label: string }[] = [];
  if (filters.status) chips.push({ key: "status", label: `Status: ${filters.status}` });
  if (filters.vendor_id) chips.push({ key: "vendor_id", label: `Vendor: ${vendorName(filters.vendor_id)}` });
  if (filters.search) chips.push({ key: "search", label: `Search: ${filters.search}` });
  if (filters.start_date) chips.push({ key: "start_date", label: `Invoice date from ${filters.start_date}` });
  if (filters.end_date) chips.push({ key: "end_date", label: `Invoice date to ${filters.end_date}` });
  if (filters.date_range) chips.push({ key: "date_range", label: DATE_RANGES[filters.date_range] ?? filters.date_range });

  const previewError = preview.error;
  const genError = generate.error;
  const filterError = (key: string) => fieldError(previewError, key) ?? fieldError(genError, `filters.${key}`);
  const selectionCount = selected ? selected.ids.length : preview.data?.count;

  function submit() {
    setNotice("");
    generate.mutate(
      { template_id: templateId, format, filters: selected ? { invoice_ids: selected.ids } : filters },
      {
        onSuccess: (result) =>
          setNotice(
            result.invoices === null
              ? `Exported as ${result.format.toUpperCase()}.`
              : `Exported ${result.invoices} invoices and ${result.lineItems} line items as ${result.format.toUpperCase()}.`,
          ),
      },
    );
  }

  function canChange(template: ExportTemplate) {
    return user?.role === "admin" || (canManage && template.user_id === user?.id);
  }

  const columns: Column<ExportTemplate>[] = [
    { head: "Name", cell: (t) => t.name },
    { head: "Description", cell: (t) => t.description },
    { head: "Invoice columns", align: "right", cell: (t) => t.invoice_fields.length },
    { head: "Line item columns", align: "right", cell: (t) => t.line_item_fields.length },
    { head: "Shared", cell: (t) => (t.is_public ? "shared" : "private") },
    { head: "Used", align: "right", cell: (t) => t.usage_count ?? 0 },
    {
      head: "Actions",
      cellProps: { align: "right", sx: { whiteSpace: "nowrap" } },
      cell: (t) =>
        canChange(t) && (
          <>
            <Button size="small" aria-label={`Edit ${t.name}`} onClick={() => setEditing(t)}>
              Edit
            </Button>
            <Button size="small" color="error" aria-label={`Delete ${t.name}`} onClick={() => setDeleting(t)}>
              Delete
            </Button>
          </>
        ),
    },
  ];
  return (
    <>
      <Typography variant="h4" component="h1" gutterBottom>
        Exports
      </Typography>
      <Stack spacing={3}>
        <Paper component="section" aria-labelledby="export-selection-title" sx={{ p: 2 }}>
          <Typography id="export-selection-title" variant="h6" component="h2" gutterBottom>
            Invoices to export
          </Typography>
          {selected ? (
            <Box sx={{ display: "flex", gap: 1, alignItems: "center", flexWrap: "wrap", mb: 1 }}>
              <Chip label={`${selected.ids.length} selected invoices`} onDelete={clearSelection} color="primary" />
              <Typography variant="body2">Chosen on the Invoices screen; remove the chip to export by filters instead.</Typography>
            </Box>
          ) : (
            <>
              <Box role="search" aria-label="Export filters" sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 1 }}>
                <StatusSelect
                  labelId="export-status-label"
                  value={filters.status}
                  onChange={(status) => setFilter({ status })}
                  error={Boolean(filterError("status"))}
                  helperText={filterError("status") ?? " "}
                  sx={{ minWidth: 160 }}
                />
                <VendorSelect
                  labelId="export-vendor-label"
                  vendors={vendors}
                  value={filters.vendor_id}
                  onChange={(vendor_id) => setFilter({ vendor_id })}
                  error={Boolean(filterError("vendor_id"))}
                  helperText={filterError("vendor_id") ?? (vendors.error ? `Vendors could not be loaded: ${vendors.error.message}` : " ")}
                  sx={{ minWidth: 200 }}
                />
                <TextField
                  label="Search"
                  value={search}
                  onChange={(e) => setSearch(e.target.value)}
                  error={Boolean(filterError("search"))}
                  helperText={filterError("search") ?? "Number, customer or PO number"}
                />
                {(["start_date", "end_date"] as const).map((key) => (
                  <TextField
                    key={key}
                    label={key === "start_date" ? "Invoice date from" : "Invoice date to"}
                    type="date"
                    value={filters[key]}
                    onChange={(e) => setFilter({ [key]: e.target.value })}
                    InputLabelProps={{ shrink: true }}
                    error={Boolean(filterError(key))}
                    helperText={filterError(key) ?? " "}
                  />
                ))}
                <FormControl sx={{ minWidth: 200 }} error={Boolean(filterError("date_range"))}>
                  <InputLabel id="export-uploaded-label">Uploaded</InputLabel>
                  <Select labelId="export-uploaded-label" label="Uploaded" value={filters.date_range} onChange={(e) => setFilter({ date_range: e.target.value })}>
                    <MenuItem value="">Any time</MenuItem>
                    {Object.entries(DATE_RANGES).map(([value, text]) => (
                      <MenuItem key={value} value={value}>
                        {text}
                      </MenuItem>
                    ))}
                  </Select>
                  <FormHelperText>{filterError("date_range") ?? " "}</FormHelperText>
                </FormControl>
              </Box>
              <Box aria-label="Active filters" role="group" sx={{ display: "flex", gap: 1, flexWrap: "wrap", mb: 1 }}>
                {chips.length === 0 && (
                  <Typography variant="body2">
                    No filter: every invoice.
                  </Typography>
                )}
                {chips.map((chip) => (
                  <Chip
                    key={chip.key}
                    label={chip.label}
                    aria-label={`${chip.label}, remove this filter`}
                    onClick={() => setFilter({ [chip.key]: "" })}
                    onDelete={() => setFilter({ [chip.key]: "" })}
                  />
                ))}
                {chips.length > 1 && (
                  <Button size="small" onClick={() => setFilter(NO_FILTERS)}>
                    Clear all filters
                  </Button>
                )}
              </Box>
            </>
          )}
          <Box role="status" aria-live="polite" aria-label="Selection preview">
            {!selected && preview.isLoading && <CircularProgress size={20} aria-label="Counting the invoices" />}
            {!selected && formError(previewError, FILTER_KEYS) && (
              <Alert severity="error">Could not count the invoices: {formError(previewError, FILTER_KEYS)}</Alert>
            )}
            {selectionCount !== undefined && (
              <Typography>
                {selectionCount === 0
                  ? "No invoice matches: the export would be empty."
                  : `${selectionCount} invoices, total ${
                      selected ? amounts(sumTotals(selected.rows)) : preview.data?.totals ? amounts(preview.data.totals) : `not summed above ${preview.data?.limit} invoices`
                    }`}
              </Typography>
            )}
          </Box>
        </Paper>

        <Paper component="section" aria-labelledby="export-generate-title" sx={{ p: 2 }}>
          <Typography id="export-generate-title" variant="h6" component="h2" gutterBottom>
            Generate
          </Typography>
          <Stack direction={{ xs: "column", md: "row" }} spacing={2} alignItems={{ md: "flex-start" }}>
            <FormControl sx={{ minWidth: 260 }} error={Boolean(fieldError(genError, "template_id"))}>
              <InputLabel id="export-template-label">Template</InputLabel>
              <Select
                labelId="export-template-label"
                label="Template"
                value={templates.data?.some((t) => t.id === templateId) ? templateId : ""}
                onChange={(e) => setTemplateId(e.target.value)}
              >
                {(templates.data ?? []).map((t) => (
                  <MenuItem key={t.id} value={t.id}>
                    {t.name}
                  </MenuItem>
                ))}
              </Select>
              <FormHelperText>
                {fieldError(genError, "template_id") ?? (templates.data && templates.data.length === 0 ? "No template yet: create one below." : " ")}
              </FormHelperText>
            </FormControl>
            <FormControl error={Boolean(fieldError(genError, "format"))}>
              <FormLabel id="export-format-label">Format</FormLabel>
              <RadioGroup row aria-labelledby="export-format-label" value={format} onChange={(e) => setFormat(e.target.value as "xlsx" | "csv")}>
                <FormControlLabel value="xlsx" control={<Radio />} label="XLSX (two sheets)" />
                <FormControlLabel value="csv" control={<Radio />} label="CSV (zip of two files)" />
              </RadioGroup>
              <FormHelperText>{fieldError(genError, "format") ?? " "}</FormHelperText>
            </FormControl>
            <Button variant="contained" onClick={submit} disabled={generate.isPending || !templateId || selectionCount === 0}>
              {generate.isPending ? "Generating…" : "Generate and download"}
            </Button>
          </Stack>
          <Box role="status" aria-live="polite" aria-label="Export result">
            {notice && <Alert severity="success">{notice}</Alert>}
            {formError(genError, GENERATE_FIELDS) && <Alert severity="error">The export failed: {formError(genError, GENERATE_FIELDS)}</Alert>}
            {fieldError(genError, "filters.invoice_ids") && <Alert severity="error">{fieldError(genError, "filters.invoice_ids")}</Alert>}
          </Box>
        </Paper>

        <Paper component="section" aria-labelledby="export-templates-title" sx={{ p: 2 }}>
          <Box sx={{ display: "flex", alignItems: "center", mb: 1 }}>
            <Typography id="export-templates-title" variant="h6" component="h2" sx={{ flexGrow: 1 }}>
              Templates
            </Typography>
            {canManage && (
              <Button variant="outlined" onClick={() => setEditing(null)}>
                New template
              </Button>
            )}
          </Box>
          <Box role="status" aria-live="polite" aria-label="Template changes">
            {removal.isSuccess && <Alert severity="success">The template was deleted.</Alert>}
          </Box>
          {templates.error && <Alert severity="error">Could not load the templates: {templates.error.message}</Alert>}
          <DataTable
            label="Export templates"
            loadingLabel="Loading the templates"
            empty={`No export template yet${canManage ? ": create one with New template." : "."}`}
            query={templates}
            rows={templates.data ?? []}
            columns={columns}
          />
        </Paper>

        <RecentExports recent={recent} onDownload={(item) => download.mutate(item)} downloadError={download.error} downloading={download.isPending} />
      </Stack>

      {editing !== undefined && (
        <TemplateDialog
          template={editing}
          onClose={(saved) => {
            setEditing(undefined);
            if (saved) setNotice(`Template ${saved} was saved.`);
          }}
        />
      )}
      <Dialog open={deleting !== null} onClose={() => setDeleting(null)} aria-labelledby="delete-template-title">
        <DialogTitle id="delete-template-title">Delete template {deleting?.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>Exports made with it stay in the recent list.</DialogContentText>
          {removal.error && <Alert severity="error">{removal.error.message}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDeleting(null)}>Cancel</Button>
          <Button
            color="error"
            variant="contained"
            disabled={removal.isPending}
            onClick={() => deleting && removal.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function RecentExports({
  recent,
  onDownload,
  downloadError,
  downloading,
}: {
  recent: ReturnType<typeof useRecent>;
  onDownload: (item: RecentExport) => void;
  downloadError: Error | null;
  downloading: boolean;
}) {
  const when = (item: RecentExport) => new Date(item.created_at).toLocaleString();
  const columns: Column<RecentExport>[] = [
    { head: "When", cell: (item) => when(item) },
    { head: "Template", cell: (item) => item.template_name ?? "(deleted or inline)" },
    { head: "Format", cell: (item) => item.export_format.toUpperCase() },
    { head: "Invoices", align: "right", cell: (item) => item.invoice_count ?? 0 },
    { head: "Line items", align: "right", cell: (item) => item.line_item_count ?? 0 },
    { head: "Size", align: "right", cell: (item) => size(item.file_size) },
    { head: "Result", cell: (item) => (item.success ? "done" : `failed${item.error_message ? `: ${item.error_message}` : ""}`) },
    {
      head: "Download",
      cellProps: { align: "right" },
      cell: (item) =>
        item.download_url && (
          <Button
            size="small"
            disabled={downloading}
            aria-label={`Download the ${item.export_format.toUpperCase()} export of ${when(item)}`}
            onClick={() => onDownload(item)}
          >
            Download
          </Button>
        ),
    },
  ];
  return (
    <Paper component="section" aria-labelledby="export-recent-title" sx={{ p: 2 }}>
      <Typography id="export-recent-title" variant="h6" component="h2" gutterBottom>
        Recent exports
      </Typography>
      {recent.error && <Alert severity="error">Could not load the recent exports: {recent.error.message}</Alert>}
      {downloadError && <Alert severity="error">The download failed: {downloadError.message}</Alert>}
      <DataTable label="Recent exports" loadingLabel="Loading the recent exports" empty="No export yet." query={recent} rows={recent.data ?? []} columns={columns} />
    </Paper>
  );
}
