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
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useState } from "react";
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
  const columns = admin ? 6 : 5;
  return (
    <>
      <Box sx={{ display: "flex", alignItems: "center", mb: 2 }}>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          Vendors
        </Typography>
        {admin && (
          <Button variant="contained" onClick={() => setEditing(null)}>
            Add vendor
          </Button>
        )}
      </Box>
      <Box role="status" aria-live="polite">
        {notice && (
          <Alert severity="success" sx={{ mb: 2 }} onClose={() => setNotice(null)}>
            {notice}
          </Alert>
        )}
      </Box>
      <Paper component="section" aria-label="Vendor list" sx={{ p: 2 }}>
        {vendors.error && <Alert severity="error">Could not load the vendors: {formError(vendors.error)}</Alert>}
        <TableContainer>
          <Table size="small" aria-label="Vendors" aria-busy={vendors.isFetching}>
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Display name</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Active prompt</TableCell>
                <TableCell align="right">Invoices</TableCell>
                {admin && <TableCell>Actions</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((v) => (
                <TableRow key={v.id} hover>
                  <TableCell>{v.name}</TableCell>
                  <TableCell>{v.display_name}</TableCell>
                  <TableCell>
                    <Chip size="small" label={v.active ? "active" : "inactive"} color={v.active ? "success" : "default"} />
                  </TableCell>
                  <TableCell>{v.active_prompt_name}</TableCell>
                  <TableCell align="right">{v.invoice_count}</TableCell>
                  {admin && (
                    <TableCell>
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
                    </TableCell>
                  )}
                </TableRow>
              ))}
              {vendors.isLoading && (
                <TableRow>
                  <TableCell colSpan={columns} align="center">
                    <CircularProgress size={24} aria-label="Loading vendors" />
                  </TableCell>
                </TableRow>
              )}
              {vendors.isSuccess && rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={columns} align="center">
                    No vendors yet{admin ? ": add one." : "."}
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
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
