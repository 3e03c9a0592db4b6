import { Alert, Button, LinearProgress, Link, Paper } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { DataTable, usePaging, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/PageHeader";
import { formError } from "../../lib/api";
import type { Batch } from "../../lib/types";
import { FINISHED, useBatchActions, useBatches } from "./api";

export function BatchesPage() {
  const paging = usePaging(25);
  const batches = useBatches(paging.page, paging.limit);
  const { remove } = useBatchActions();
  const rows = batches.data?.batches ?? [];
  const columns: Column<Batch>[] = [
    {
      head: "Batch",
      cell: (b) => (
        <Link component={RouterLink} to={`/batches/${b.id}`}>
          {b.batch_name}
        </Link>
      ),
    },
    { head: "Vendor", cell: (b) => b.vendor_display_name || b.vendor_name },
    { head: "Status", cell: (b) => b.status },
    {
      head: "Progress",
      cellProps: { sx: { minWidth: 180 } },
      cell: (b) => {
        const done = b.processed_count + b.failed_count;
        const share = b.total_file_count ? Math.round((done * 100) / b.total_file_count) : 0;
        return (
          <>
            <LinearProgress variant="determinate" value={share} aria-label={`${b.batch_name} progress`} />
            {b.processed_count} / {b.total_file_count} ({b.failed_count} failed)
          </>
        );
      },
    },
    { head: "Created", cell: (b) => new Date(b.created_at).toLocaleString() },
    {
      head: "Delete",
      cell: (b) => (
        <Button color="error" size="small" disabled={!FINISHED.includes(b.status) && b.status !== "pending"} onClick={() => remove.mutate(b.id)}>
          Delete {b.batch_name}
        </Button>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title="Batches"
        action={
          <Button variant="contained" component={RouterLink} to="/import">
            New import
          </Button>
        }
      />
      {batches.error && <Alert severity="error">Could not load the batches: {formError(batches.error)}</Alert>}
      {remove.error && <Alert severity="error">{formError(remove.error)}</Alert>}
      <Paper>
        <DataTable
          label="Batches"
          loadingLabel="Loading batches"
          empty="No batches yet: start an import."
          query={batches}
          rows={rows}
          columns={columns}
          paging={{ ...paging, count: batches.data?.pagination.total ?? 0, sizes: [10, 25, 50, 100] }}
        />
      </Paper>
    </>
  );
}
