import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Grid,
  IconButton,
  Paper,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import { useState, type FormEvent } from "react";
import { Link as RouterLink, useLocation, useNavigate, useParams } from "react-router-dom";
import { QueryState } from "../../components/QueryState";
import { ApiError, formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import type { InvoiceDetail, Row } from "../../lib/types";
import { nextToReview, useInvoice, useReviewActions } from "./api";
import { DocumentView } from "./DocumentView";
import { HEADER_FIELDS, LINE_COLUMNS } from "./fields";
import { addLine, approveThenNext, editLine, errorPlace, headerOf, itemsOf, neighbours, removeLine, saveBody, text } from "./form";
import { lineProblem, lineSum, totalsProblem } from "./totals";

/** What the list passed on: the ids of its page, for previous / next. */
interface ListState {
  ids?: string[];
  back?: string;
}

export function ReviewView() {
  const { id = "" } = useParams();
  const invoice = useInvoice(id);
  return (
    <QueryState query={invoice} loadingLabel="Loading the invoice" failure="Could not load the invoice">
      {(data) => <ReviewForm key={id} invoice={data} />}
    </QueryState>
  );
}

function ReviewForm({ invoice }: { invoice: InvoiceDetail }) {
  const { user } = useSession();
  const canEdit = user?.role === "admin" || user?.role === "reviewer";
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as ListState;
  const { save, approve, reject } = useReviewActions(invoice.id);
  const [header, setHeader] = useState<Row>(() => headerOf(invoice));
  const [items, setItems] = useState<Row[]>(() => itemsOf(invoice));
  const [dirty, setDirty] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<string | null>(null);

  const { previous, next } = neighbours(state.ids ?? [], invoice.id);
  const go = (target: string | undefined) => target && navigate(`/invoices/${target}`, { state });

  const error = save.error ?? approve.error ?? reject.error;
  const place = errorPlace(error);
  const message = error instanceof Error ? error.message : undefined;
  const headerError = (name: string) => (place && "header" in place && place.header === name ? message : undefined);
  const cellError = (index: number, name: string) => (place && "line" in place && place.line === index && place.name === name ? message : undefined);

  function setField(name: string, value: string) {
    setHeader((h) => ({ ...h, [name]: value }));
    setDirty(true);
  }
  function changeItems(change: (rows: Row[]) => Row[]) {
    setItems(change);
    setDirty(true);
  }

  async function doSave(): Promise<boolean> {
    try {
      const body = await save.mutateAsync(saveBody(header, items));
      setHeader(headerOf(body.invoice));
      setItems(itemsOf(body.invoice));
      setDirty(false);
      setNotice("Saved.");
      return true;
    } catch {
      return false;
    }
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    void doSave();
  }
  async function doApprove() {
    const steps = { dirty, save: doSave, approve: () => approve.mutateAsync(), next: () => nextToReview(invoice.id) };
    const target = await approveThenNext(steps, invoice.invoice_number, state.back);
    if (target) navigate(target.to, { state: target.state });
  }
  async function doReject(event: FormEvent) {
    event.preventDefault();
    try {
      await reject.mutateAsync(reason);
      setRejecting(false);
      setReason("");
      setNotice("Rejected.");
    } catch {
      // shown in the dialog
    }
  }

  const total = totalsProblem(header, items);
  const busy = save.isPending || approve.isPending || reject.isPending;
  return (
    <>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 2, flexWrap: "wrap" }}>
        <Button component={RouterLink} to={state.back ?? "/invoices"}>
          Back to the list
        </Button>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          Invoice {invoice.invoice_number ?? invoice.original_filename}
        </Typography>
        <Chip label={invoice.processing_status} aria-label={`Status ${invoice.processing_status}`} />
        <Button onClick={() => go(previous)} disabled={!previous}>
          Previous
        </Button>
        <Button onClick={() => go(next)} disabled={!next}>
          Next
        </Button>
      </Stack>
      {invoice.processing_status === "rejected" && invoice.rejection_reason && (
        <Alert severity="warning" sx={{ mb: 2 }}>
          Rejected: {invoice.rejection_reason}
        </Alert>
      )}
      <Box role="status" aria-live="polite">
        {notice && (
          <Alert severity="success" sx={{ mb: 2 }}>
            {notice}
          </Alert>
        )}
      </Box>
      {place && "top" in place && !rejecting && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {formError(error)}
        </Alert>
      )}
      <Grid container spacing={2}>
        <Grid item xs={12} lg={5}>
          <Paper sx={{ p: 1 }} component="section" aria-label="Document">
            <DocumentView id={invoice.id} name={invoice.original_filename ?? ""} />
          </Paper>
        </Grid>
        <Grid item xs={12} lg={7}>
          <Paper component="form" onSubmit={submit} aria-label="Extracted fields" sx={{ p: 2 }}>
            <Typography variant="h6" component="h2" gutterBottom>
              Header
            </Typography>
            <Grid container spacing={2}>
              {HEADER_FIELDS.map((f) => (
                <Grid item xs={12} sm={6} md={4} key={f.name}>
                  <TextField
                    label={f.label}
                    value={text(header[f.name])}
                    onChange={(e) => setField(f.name, e.target.value)}
                    type={f.kind === "date" ? "date" : "text"}
                    InputLabelProps={f.kind === "date" ? { shrink: true } : undefined}
                    inputProps={f.kind === "money" ? { inputMode: "decimal" } : undefined}
                    error={Boolean(headerError(f.name))}
                    helperText={headerError(f.name)}
                    disabled={!canEdit}
                    size="small"
                    fullWidth
                  />
                </Grid>
              ))}
            </Grid>
            <Typography variant="h6" component="h2" sx={{ mt: 3 }}>
              Line items
            </Typography>
            <Table size="small" aria-label="Line items">
              <TableHead>
                <TableRow>
                  <TableCell>#</TableCell>
                  {LINE_COLUMNS.map((c) => (
                    <TableCell key={c.name} align={c.numeric ? "right" : "left"}>
                      {c.label}
                    </TableCell>
                  ))}
                  <TableCell>Remove</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {items.map((row, index) => {
                  const problem = lineProblem(row);
                  return (
                    <TableRow key={index}>
                      <TableCell>{index + 1}</TableCell>
                      {LINE_COLUMNS.map((c) => (
                        <TableCell key={c.name} align={c.numeric ? "right" : "left"} sx={{ minWidth: c.numeric ? 90 : 220 }}>
                          <TextField
                            value={text(row[c.name])}
                            onChange={(e) => changeItems((rows) => editLine(rows, index, c.name, e.target.value))}
                            inputProps={{ "aria-label": `Line ${index + 1} ${c.label}`, inputMode: c.numeric ? "decimal" : undefined }}
                            error={Boolean(cellError(index, c.name)) || (c.name === "total_amount" && Boolean(problem))}
                            helperText={cellError(index, c.name) ?? (c.name === "total_amount" ? problem : undefined)}
                            disabled={!canEdit}
                            size="small"
                            fullWidth
                          />
                        </TableCell>
                      ))}
                      <TableCell>
                        <IconButton aria-label={`Remove line ${index + 1}`} onClick={() => changeItems((rows) => removeLine(rows, index))} disabled={!canEdit}>
                          ×
                        </IconButton>
                      </TableCell>
                    </TableRow>
                  );
                })}
                {items.length === 0 && (
                  <TableRow>
                    <TableCell colSpan={LINE_COLUMNS.length + 2}>No line items.</TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
            <Stack direction="row" spacing={2} alignItems="center" sx={{ mt: 1 }}>
              <Button onClick={() => changeItems(addLine)} disabled={!canEdit}>
                Add line
              </Button>
              <Typography aria-label="Line items sum" sx={{ flexGrow: 1, textAlign: "right" }}>
                Lines: {lineSum(items).toFixed(2)}
              </Typography>
            </Stack>
            <Box aria-live="polite">
              {total && (
                <Alert severity="warning" sx={{ mt: 1 }}>
                  {total}
                </Alert>
              )}
            </Box>
            {canEdit && (
              <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
                <Button type="submit" variant="outlined" disabled={busy || !dirty}>
                  Save
                </Button>
                <Button variant="contained" color="success" onClick={() => void doApprove()} disabled={busy}>
                  Approve
                </Button>
                <Button variant="outlined" color="error" onClick={() => setRejecting(true)} disabled={busy}>
                  Reject
                </Button>
              </Stack>
            )}
          </Paper>
        </Grid>
      </Grid>
      <Dialog open={rejecting} onClose={() => setRejecting(false)} aria-labelledby="reject-title">
        <Box component="form" onSubmit={doReject}>
          <DialogTitle id="reject-title">Reject this invoice</DialogTitle>
          <DialogContent>
            {reject.error && (
              <Alert severity="error" sx={{ mb: 1 }}>
                {formError(reject.error, ["reason"])}
              </Alert>
            )}
            <TextField
              label="Reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              error={reject.error instanceof ApiError && reject.error.field === "reason"}
              helperText={reject.error instanceof ApiError && reject.error.field === "reason" ? reject.error.message : " "}
              multiline
              minRows={2}
              fullWidth
              autoFocus
              margin="dense"
            />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setRejecting(false)}>Cancel</Button>
            <Button type="submit" color="error" variant="contained" disabled={reject.isPending}>
              Reject invoice
            </Button>
          </DialogActions>
        </Box>
      </Dialog>
    </>
  );
}
