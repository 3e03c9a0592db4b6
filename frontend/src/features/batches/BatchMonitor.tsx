import { Alert, Box, Button, Chip, LinearProgress, Link, Paper, Stack, Typography } from "@mui/material";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { DataTable, LOADED, type Column } from "../../components/DataTable";
import { QueryState } from "../../components/QueryState";
import { formError } from "../../lib/api";
import type { BatchFile, BatchProgress } from "../../lib/types";
import { FINISHED, useBatchActions, useBatchProgress } from "./api";

export function BatchMonitor() {
  const { id = "" } = useParams();
  const progress = useBatchProgress(id);
  return (
    <QueryState query={progress} loadingLabel="Loading the batch" failure="Could not load the batch">
      {(p) => <BatchView id={id} p={p} />}
    </QueryState>
  );
}

function BatchView({ id, p }: { id: string; p: BatchProgress }) {
  const { resume, remove } = useBatchActions();
  const navigate = useNavigate();
  const finished = FINISHED.includes(p.status);
  const files = p.files ?? [];
  const actionError = resume.error ?? remove.error;
  const reviewing = { ids: files.filter((x) => x.invoice_id).map((x) => x.invoice_id), back: `/batches/${id}` };
  const columns: Column<BatchFile>[] = [
    { head: "File", cell: (f) => f.filename },
    { head: "Status", cell: (f) => f.status },
    {
      head: "Invoice",
      cell: (f) =>
        f.invoice_id ? (
          <Link component={RouterLink} to={`/invoices/${f.invoice_id}`} state={reviewing}>
            Review {f.invoice_number ?? f.filename}
          </Link>
        ) : null,
    },
    { head: "Error", cell: (f) => f.error_message },
  ];
  return (
    <>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 2 }}>
        <Button component={RouterLink} to="/batches">
          All batches
        </Button>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          Batch
        </Typography>
        <Chip label={p.status} aria-label={`Batch status ${p.status}`} color={p.status === "completed" ? "success" : p.status === "processing" ? "info" : p.failedFiles ? "error" : "default"} />
      </Stack>
      <Paper sx={{ p: 2, mb: 2 }}>
        <LinearProgress variant="determinate" value={p.completionPercentage} aria-label="Batch progress" />
        <Typography sx={{ mt: 1 }} aria-live="polite" role="status">
          {p.processedFiles} of {p.totalFiles} processed, {p.failedFiles} failed, {p.pendingFiles + p.processingFiles} to go
          ({p.completionPercentage}%)
        </Typography>
        {p.errorMessage && <Alert severity="error">{p.errorMessage}</Alert>}
        {actionError && <Alert severity="error">{formError(actionError)}</Alert>}
        <Stack direction="row" spacing={2} sx={{ mt: 2 }}>
          {(p.status === "failed" || p.status === "partial") && (
            <Button variant="contained" onClick={() => resume.mutate(id)} disabled={resume.isPending}>
              Resume failed files
            </Button>
          )}
          {finished && (
            <Button color="error" onClick={() => remove.mutate(id, { onSuccess: () => navigate("/batches") })} disabled={remove.isPending}>
              Delete batch
            </Button>
          )}
        </Stack>
      </Paper>
      <DataTable label="Files of the batch" empty="No files in this batch." query={LOADED} rows={files} columns={columns} />
      <Box sx={{ mt: 1 }} />
    </>
  );
}
