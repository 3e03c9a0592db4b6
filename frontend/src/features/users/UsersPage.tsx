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
  MenuItem,
  Paper,
  Select,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TablePagination,
  TableRow,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import type { Role } from "../../lib/types";
import { CreateUserDialog } from "./CreateUserDialog";
import { ROLES, useUpdateUser, useUsers, type ManagedUser } from "./api";

const PAGE_SIZES = [25, 50, 100];
const visuallyHidden = { position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" } as const;

export function UsersPage() {
  const { user: me } = useSession();
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(50);
  const users = useUsers(page, limit);
  const update = useUpdateUser();
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<ManagedUser | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function change(target: ManagedUser, change: { role?: Role; active?: boolean }, done: string) {
    setNotice(null);
    update.mutate({ id: target.id, change }, { onSuccess: () => setNotice(done) });
  }

  const rows = users.data?.users ?? [];
  const failed = update.error ? `Could not change ${update.variables?.id === me?.id ? "your account" : "the user"}: ${formError(update.error)}` : null;
  return (
    <>
      <Box sx={{ display: "flex", alignItems: "center", mb: 2 }}>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          Users
        </Typography>
        <Button variant="contained" onClick={() => setCreating(true)}>
          Add user
        </Button>
      </Box>
      <Box role="status" aria-live="polite">
        {notice && (
          <Alert severity="success" sx={{ mb: 2 }} onClose={() => setNotice(null)}>
            {notice}
          </Alert>
        )}
      </Box>
      {failed && (
        <Alert severity="error" sx={{ mb: 2 }} onClose={() => update.reset()}>
          {failed}
        </Alert>
      )}
      <Paper component="section" aria-label="User list" sx={{ p: 2 }}>
        {users.error && <Alert severity="error">Could not load the users: {formError(users.error)}</Alert>}
        <TableContainer>
          <Table size="small" aria-label="Users" aria-busy={users.isFetching}>
            <TableHead>
              <TableRow>
                <TableCell>Email</TableCell>
                <TableCell>Name</TableCell>
                <TableCell>Role</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Last sign in</TableCell>
                <TableCell>Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((u) => {
                const self = u.id === me?.id;
                return (
                  <TableRow key={u.id} hover>
                    <TableCell>{u.email}</TableCell>
                    <TableCell>{u.name}</TableCell>
                    <TableCell>
                      <Box component="span" id={`role-label-${u.id}`} sx={visuallyHidden}>
                        Role of {u.email}
                      </Box>
                      <Select
                        size="small"
                        value={u.role}
                        disabled={self || update.isPending}
                        labelId={`role-label-${u.id}`}
                        onChange={(e) => change(u, { role: e.target.value as Role }, `${u.email} is now ${e.target.value}.`)}
                      >
                        {ROLES.map((r) => (
                          <MenuItem key={r} value={r}>
                            {r}
                          </MenuItem>
                        ))}
                      </Select>
                    </TableCell>
                    <TableCell>
                      <Chip size="small" label={u.active ? "active" : "deactivated"} color={u.active ? "success" : "default"} />
                    </TableCell>
                    <TableCell>{u.last_login ? new Date(u.last_login).toLocaleString() : "never"}</TableCell>
                    <TableCell>
                      {u.active ? (
                        <Button size="small" color="error" disabled={self || update.isPending} onClick={() => setConfirm(u)} aria-label={`Deactivate ${u.email}`}>
                          Deactivate
                        </Button>
                      ) : (
                        <Button
                          size="small"
                          disabled={update.isPending}
                          onClick={() => change(u, { active: true }, `${u.email} is active again.`)}
                          aria-label={`Reactivate ${u.email}`}
                        >
                          Reactivate
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
              {users.isLoading && (
                <TableRow>
                  <TableCell colSpan={6} align="center">
                    <CircularProgress size={24} aria-label="Loading users" />
                  </TableCell>
                </TableRow>
              )}
              {users.isSuccess && rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={6} align="center">
                    No users on this page.
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
        <TablePagination
          component="div"
          count={users.data?.pagination.total ?? 0}
          page={page - 1}
          rowsPerPage={limit}
          rowsPerPageOptions={PAGE_SIZES}
          onPageChange={(_e, p) => setPage(p + 1)}
          onRowsPerPageChange={(e) => {
            setLimit(Number(e.target.value));
            setPage(1);
          }}
        />
      </Paper>
      <CreateUserDialog
        open={creating}
        onClose={(created) => {
          setCreating(false);
          if (created) setNotice(`${created} was created.`);
        }}
      />
      <Dialog open={confirm !== null} onClose={() => setConfirm(null)} aria-labelledby="deactivate-title" aria-describedby="deactivate-text">
        <DialogTitle id="deactivate-title">Deactivate {confirm?.email}?</DialogTitle>
        <DialogContent>
          <DialogContentText id="deactivate-text">
            They are signed out everywhere at once and cannot sign in until reactivated.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirm(null)} autoFocus>
            Cancel
          </Button>
          <Button
            color="error"
            variant="contained"
            onClick={() => {
              if (confirm) change(confirm, { active: false }, `${confirm.email} was deactivated.`);
              setConfirm(null);
            }}
          >
            Deactivate
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
