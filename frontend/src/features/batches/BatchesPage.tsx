import {
  Alert,
  Button,
  CircularProgress,
  LinearProgress,
  Link,
  Paper,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TablePagination,
  TableRow,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import { formError } from "../../lib/api";
import { FINISHED, useBatchActions, useBatches } from "./api";

export function BatchesPage() {
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(25);
  const batches = useBatches(page, limit);
  const { remove } = useBatchActions();
  const rows = batches.data?.batches ?? [];
  return (
    <>
      <Stack direction="row" alignItems="center" sx={{ mb: 2 }}>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          Batches
        </Typography>
        <Button variant="contained" component={RouterLink} to="/import">
          New import
        </Button>
      </Stack>
      {batches.error && <Alert severity="error">Could not load the batches: {formError(batches.error)}</Alert>}
      {remove.error && <Alert severity="error">{formError(remove.error)}</Alert>}
      <Paper>
        <Table size="small" aria-label="Batches">
          <TableHead>
            <TableRow>
              <TableCell>Batch</TableCell>
              <TableCell>Vendor</TableCell>
              <TableCell>Status</TableCell>
              <TableCell>Progress</TableCell>
              <TableCell>Created</TableCell>
              <TableCell>Delete</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((b) => {
              const done = b.processed_count + b.failed_count;
              const share = b.total_file_count ? Math.round((done * 100) / b.total_file_count) : 0;
              return (
                <TableRow key={b.id} hover>
                  <TableCell>
                    <Link component={RouterLink} to={`/batches/${b.id}`}>
                      {b.batch_name}
                    </Link>
                  </TableCell>
                  <TableCell>{b.vendor_display_name || b.vendor_name}</TableCell>
                  <TableCell>{b.status}</TableCell>
                  <TableCell sx={{ minWidth: 180 }}>
                    <LinearProgress variant="determinate" value={share} aria-label={`${b.batch_name} progress`} />
                    {b.processed_count} / {b.total_file_count} ({b.failed_count} failed)
                  </TableCell>
                  <TableCell>{new Date(b.created_at).toLocaleString()}</TableCell>
                  <TableCell>
                    <Button
                      color="error"
                      size="small"
                      disabled={!FINISHED.includes(b.status) && b.status !== "pending"}
                      onClick={() => remove.mutate(b.id)}
                    >
                      Delete {b.batch_name}
                    </Button>
                  </TableCell>
                </TableRow>
              );
            })}
            {batches.isLoading && (
              <TableRow>
                <TableCell colSpan={6} align="center">
                  <CircularProgress size={24} aria-label="Loading batches" />
                </TableCell>
              </TableRow>
            )}
            {batches.isSuccess && rows.length === 0 && (
              <TableRow>
                <TableCell colSpan={6}>No batches yet: start an import.</TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
        <TablePagination
          component="div"
          count={batches.data?.pagination.total ?? 0}
          page={page - 1}
          rowsPerPage={limit}
          rowsPerPageOptions={[10, 25, 50, 100]}
          onPageChange={(_e, p) => setPage(p + 1)}
          onRowsPerPageChange={(e) => {
            setLimit(Number(e.target.value));
            setPage(1);
          }}
        />
      </Paper>
    </>
  );
}
