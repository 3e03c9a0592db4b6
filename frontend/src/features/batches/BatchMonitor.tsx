import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  LinearProgress,
  Link,
  Paper,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { formError } from "../../lib/api";
import { FINISHED, useBatchActions, useBatchProgress } from "./api";

export function BatchMonitor() {
  const { id = "" } = useParams();
  const progress = useBatchProgress(id);
  const { resume, remove } = useBatchActions();
  const navigate = useNavigate();
  if (progress.isLoading) return <CircularProgress aria-label="Loading the batch" />;
  if (progress.error || !progress.data)
    return <Alert severity="error">Could not load the batch: {formError(progress.error)}</Alert>;
  const p = progress.data;
  const finished = FINISHED.includes(p.status);
  const files = p.files ?? [];
  const actionError = resume.error ?? remove.error;
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
      <Table size="small" aria-label="Files of the batch">
        <TableHead>
          <TableRow>
            <TableCell>File</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Invoice</TableCell>
            <TableCell>Error</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {files.map((f) => (
            <TableRow key={f.id}>
              <TableCell>{f.filename}</TableCell>
              <TableCell>{f.status}</TableCell>
              <TableCell>
                {f.invoice_id ? (
                  <Link component={RouterLink} to={`/invoices/${f.invoice_id}`} state={{ ids: files.filter((x) => x.invoice_id).map((x) => x.invoice_id), back: `/batches/${id}` }}>
                    Review {f.invoice_number ?? f.filename}
                  </Link>
                ) : null}
              </TableCell>
              <TableCell>{f.error_message}</TableCell>
            </TableRow>
          ))}
          {files.length === 0 && (
            <TableRow>
              <TableCell colSpan={4}>No files in this batch.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <Box sx={{ mt: 1 }} />
    </>
  );
}
