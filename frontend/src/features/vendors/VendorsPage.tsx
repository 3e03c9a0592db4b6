import { Alert, Button, Chip, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, Paper } from "@mui/material";
import { useState } from "react";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader, SuccessNotice } from "../../components/PageHeader";
import { formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import { VendorDialog } from "./VendorDialog";
import { useDeleteVendor, useVendorTable, type VendorRow } from "./api";

export function VendorsPage() {
  const { user } = useSession();
  const admin = user?.role === "admin";
  const vendors = useVendorTable();
  const remove = useDeleteVendor();
  // undefined: closed; null: adding; a row: editing it
  const [editing, setEditing] = useState<VendorRow | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<VendorRow | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const rows = vendors.data ?? [];
  const actions = (v: VendorRow) => (
    <>
      <Button size="small" onClick={() => setEditing(v)} aria-label={`Edit ${v.name}`}>
        Edit
      </Button>
      <Button
        size="small"
        color="error"
        onClick={() => {
          remove.reset();
          setDeleting(v);
        }}
        aria-label={`Delete ${v.name}`}
      >
        Delete
      </Button>
    </>
  );
  const columns: Column<VendorRow>[] = [
    { head: "Name", cell: (v) => v.name },
    { head: "Display name", cell: (v) => v.display_name },
    { head: "Status", cell: (v) => <Chip size="small" label={v.active ? "active" : "inactive"} color={v.active ? "success" : "default"} /> },
    { head: "Active prompt", cell: (v) => v.active_prompt_name },
    { head: "Invoices", align: "right", cell: (v) => v.invoice_count },
    ...(admin ? [{ head: "Actions", cell: actions }] : []),
  ];
  return (
    <>
      <PageHeader
        title="Vendors"
        action={
          admin && (
            <Button variant="contained" onClick={() => setEditing(null)}>
              Add vendor
            </Button>
          )
        }
      />
      <SuccessNotice notice={notice} onClose={() => setNotice(null)} />
      <Paper component="section" aria-label="Vendor list" sx={{ p: 2 }}>
        {vendors.error && <Alert severity="error">Could not load the vendors: {formError(vendors.error)}</Alert>}
        <DataTable label="Vendors" loadingLabel="Loading vendors" empty={`No vendors yet${admin ? ": add one." : "."}`} query={vendors} rows={rows} columns={columns} />
      </Paper>
      {editing !== undefined && (
        <VendorDialog
          key={editing?.id ?? "new"}
          vendor={editing}
          onClose={(saved) => {
            if (saved) setNotice(editing ? `${saved} was saved.` : `${saved} was added.`);
            setEditing(undefined);
          }}
        />
      )}
      <Dialog open={deleting !== null} onClose={() => setDeleting(null)} aria-labelledby="delete-vendor-title" aria-describedby="delete-vendor-text">
        <DialogTitle id="delete-vendor-title">Delete {deleting?.display_name}?</DialogTitle>
        <DialogContent>
          <DialogContentText id="delete-vendor-text">
            {deleting && deleting.invoice_count > 0
              ? `${deleting.invoice_count} invoices use this vendor: the API will refuse.`
              : "The vendor and its prompt link are removed."}
          </DialogContentText>
          {remove.error && (
            <Alert severity="error" sx={{ mt: 2 }}>
              {formError(remove.error)}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDeleting(null)} autoFocus>
            Cancel
          </Button>
          <Button
            color="error"
            variant="contained"
            // not disabled while pending: a disabled button drops the focus out of the dialog (Escape then misses it)
            onClick={() => {
              if (!deleting || remove.isPending) return;
              const gone = deleting;
              remove.mutate(gone.id, {
                onSuccess: () => {
                  setDeleting(null);
                  setNotice(`${gone.display_name} was deleted.`);
                },
              });
            }}
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
