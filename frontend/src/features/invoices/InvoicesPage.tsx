import {
  Alert,
  Box,
  Button,
  Checkbox,
  Chip,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Link,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  TableSortLabel,
  Typography,
} from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink, useLocation, useNavigate } from "react-router-dom";
import { formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import { PAGE_SIZES, useUrlFilters } from "../../lib/useUrlFilters";
import { FILTER_DEFAULTS, useDeleteInvoices, useInvoices } from "./api";
import { FIELD_FILTERS, hasFilters, InvoiceFilterBar } from "./InvoiceFilterBar";
import { UploadForm } from "./UploadForm";

const COLUMNS = [
  { key: "invoice_number", label: "Number", numeric: false },
  { key: "vendor_name", label: "Vendor", numeric: false },
  { key: "customer_name", label: "Customer", numeric: false },
  { key: "invoice_date", label: "Date", numeric: false },
  { key: "total_amount", label: "Total", numeric: true },
  { key: "processing_status", label: "Status", numeric: false },
  { key: "created_at", label: "Uploaded", numeric: false },
] as const;

const STATUS_COLOR = { pending: "warning", processed: "info", approved: "success", rejected: "error", failed: "error" } as const;

function money(value: string | number | null, currency: string | null): string {
  if (value === null || value === "") return "";
  const n = Number(value);
  const text = Number.isFinite(n) ? n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : String(value);
  return currency ? `${text} ${currency}` : text;
}

export function InvoicesPage() {
  const [filters, update] = useUrlFilters(FILTER_DEFAULTS);
  const invoices = useInvoices(filters);
  const { user } = useSession();
  const canDelete = user?.role === "admin" || user?.role === "reviewer";
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const deletion = useDeleteInvoices();
  const navigate = useNavigate();

  const sortKey = filters.sort.replace(/^-/, "");
  const descending = filters.sort.startsWith("-");
  const rows = invoices.data?.invoices ?? [];
  const listError = invoices.error;
  // an error about a filter is shown next to it; any other above the table
  const listTop = formError(listError, FIELD_FILTERS);
  const location = useLocation();
  const listState = { ids: rows.map((r) => r.id), back: `${location.pathname}${location.search}` };
  // the selection is of this page's rows: another page, filter or sort starts a new one
  const pageKey = JSON.stringify(filters);
  useEffect(() => setSelected(new Set()), [pageKey]);
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  function toggle(id: string) {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }
  // the Exports screen exports exactly these invoices (POST /api/exports/generate takes invoice ids)
  function exportSelected() {
    const chosen = rows.filter((r) => selected.has(r.id));
    navigate("/exports", {
      state: { selected: { ids: chosen.map((r) => r.id), rows: chosen.map((r) => ({ total_amount: r.total_amount, currency: r.currency })) } },
    });
  }
  function deleteSelected() {
    deletion.mutate([...selected], {
      onSuccess: (failures) => {
        setSelected(new Set(failures.map((f) => f.id)));
        setConfirming(false);
      },
    });
  }
  return (
    <>
      <Typography variant="h4" component="h1" gutterBottom>
        Invoices
      </Typography>
      <UploadForm />
      <Paper component="section" aria-label="Invoice list" sx={{ p: 2 }}>
        <InvoiceFilterBar filters={filters} update={update} error={listError} />
        {/* every role exports (the API lets viewers); deleting is for reviewers and admins */}
        <Box sx={{ mb: 1, display: "flex", gap: 1 }}>
          <Button variant="outlined" disabled={selected.size === 0} onClick={exportSelected}>
            Export selected ({selected.size})
          </Button>
          {canDelete && (
            <Button color="error" variant="outlined" disabled={selected.size === 0} onClick={() => setConfirming(true)}>
              Delete selected ({selected.size})
            </Button>
          )}
        </Box>
        <Box role="status" aria-live="polite">
          {deletion.data && deletion.data.length === 0 && <Alert severity="success">Deleted.</Alert>}
          {deletion.data && deletion.data.length > 0 && (
            <Alert severity="error">
              {deletion.data.length} could not be deleted: {deletion.data.map((f) => f.error).join("; ")}
            </Alert>
          )}
        </Box>
        {listTop && <Alert severity="error">Could not load the invoices: {listTop}</Alert>}
        <TableContainer>
          <Table size="small" aria-label="Invoices" aria-busy={invoices.isFetching}>
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox">
                  <Checkbox
                    checked={allSelected}
                    indeterminate={!allSelected && rows.some((r) => selected.has(r.id))}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                    inputProps={{ "aria-label": "Select every invoice on this page" }}
                  />
                </TableCell>
                {COLUMNS.map((c) => (
                  <TableCell key={c.key} align={c.numeric ? "right" : "left"} sortDirection={sortKey === c.key ? (descending ? "desc" : "asc") : false}>
                    <TableSortLabel
                      active={sortKey === c.key}
                      direction={sortKey === c.key && descending ? "desc" : "asc"}
                      onClick={() => update({ sort: sortKey === c.key && !descending ? `-${c.key}` : c.key })}
                    >
                      {c.label}
                    </TableSortLabel>
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((inv) => (
                <TableRow key={inv.id} hover selected={selected.has(inv.id)}>
                  <TableCell padding="checkbox">
                    <Checkbox
                      checked={selected.has(inv.id)}
                      onChange={() => toggle(inv.id)}
                      inputProps={{ "aria-label": `Select ${inv.invoice_number || inv.original_filename}` }}
                    />
                  </TableCell>
                  <TableCell>
                    <Link component={RouterLink} to={`/invoices/${inv.id}`} state={listState}>
                      {inv.invoice_number || inv.original_filename}
                    </Link>
                  </TableCell>
                  <TableCell>{inv.vendor_display_name || inv.vendor_name}</TableCell>
                  <TableCell>{inv.customer_name}</TableCell>
                  <TableCell>{inv.invoice_date}</TableCell>
                  <TableCell align="right">{money(inv.total_amount, inv.currency)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={inv.processing_status} color={STATUS_COLOR[inv.processing_status] ?? "default"} />
                  </TableCell>
                  <TableCell>{new Date(inv.created_at).toLocaleString()}</TableCell>
                </TableRow>
              ))}
              {invoices.isLoading && (
                <TableRow>
                  <TableCell colSpan={COLUMNS.length + 1} align="center">
                    <CircularProgress size={24} aria-label="Loading invoices" />
                  </TableCell>
                </TableRow>
              )}
              {invoices.isSuccess && rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={COLUMNS.length + 1} align="center">
                    {hasFilters(filters) ? "No invoice matches these filters." : "No invoices yet: upload one above."}
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
        <TablePagination
          component="div"
          count={invoices.data?.total ?? 0}
          page={filters.page - 1}
          rowsPerPage={filters.limit}
          rowsPerPageOptions={PAGE_SIZES}
          onPageChange={(_e, page) => update({ page: page + 1 })}
          onRowsPerPageChange={(e) => update({ limit: Number(e.target.value) })}
        />
      </Paper>
      <Dialog open={confirming} onClose={() => setConfirming(false)} aria-labelledby="delete-invoices-title">
        <DialogTitle id="delete-invoices-title">Delete {selected.size} invoices?</DialogTitle>
        <DialogContent>
          <DialogContentText>The invoices, their line items and their files are deleted for good.</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button color="error" variant="contained" onClick={deleteSelected} disabled={deletion.isPending}>
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
