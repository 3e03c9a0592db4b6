import { Alert, Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, MenuItem, Paper, Select } from "@mui/material";
import { useState } from "react";
import { DataTable, usePaging, type Column } from "../../components/DataTable";
import { PageHeader, SuccessNotice } from "../../components/PageHeader";
import { formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import type { Role } from "../../lib/types";
import { CreateUserDialog } from "./CreateUserDialog";
import { ROLES, useUpdateUser, useUsers, type ManagedUser } from "./api";

const visuallyHidden = { position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" } as const;

export function UsersPage() {
  const { user: me } = useSession();
  const paging = usePaging(50);
  const users = useUsers(paging.page, paging.limit);
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
  const columns: Column<ManagedUser>[] = [
    { head: "Email", cell: (u) => u.email },
    { head: "Name", cell: (u) => u.name },
    {
      head: "Role",
      cell: (u) => (
        <>
          <Box component="span" id={`role-label-${u.id}`} sx={visuallyHidden}>
            Role of {u.email}
          </Box>
          <Select
            size="small"
            value={u.role}
            disabled={u.id === me?.id || update.isPending}
            labelId={`role-label-${u.id}`}
            onChange={(e) => change(u, { role: e.target.value as Role }, `${u.email} is now ${e.target.value}.`)}
          >
            {ROLES.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </Select>
        </>
      ),
    },
    { head: "Status", cell: (u) => <Chip size="small" label={u.active ? "active" : "deactivated"} color={u.active ? "success" : "default"} /> },
    { head: "Last sign in", cell: (u) => (u.last_login ? new Date(u.last_login).toLocaleString() : "never") },
    {
      head: "Actions",
      cell: (u) =>
        u.active ? (
          <Button size="small" color="error" disabled={u.id === me?.id || update.isPending} onClick={() => setConfirm(u)} aria-label={`Deactivate ${u.email}`}>
            Deactivate
          </Button>
        ) : (
          <Button size="small" disabled={update.isPending} onClick={() => change(u, { active: true }, `${u.email} is active again.`)} aria-label={`Reactivate ${u.email}`}>
            Reactivate
          </Button>
        ),
    },
  ];
  return (
    <>
      <PageHeader
        title="Users"
        action={
          <Button variant="contained" onClick={() => setCreating(true)}>
            Add user
          </Button>
        }
      />
      <SuccessNotice notice={notice} onClose={() => setNotice(null)} />
      {failed && (
        <Alert severity="error" sx={{ mb: 2 }} onClose={() => update.reset()}>
          {failed}
        </Alert>
      )}
      <Paper component="section" aria-label="User list" sx={{ p: 2 }}>
        {users.error && <Alert severity="error">Could not load the users: {formError(users.error)}</Alert>}
        <DataTable
          label="Users"
          loadingLabel="Loading users"
          empty="No users on this page."
          query={users}
          rows={rows}
          columns={columns}
          paging={{ ...paging, count: users.data?.pagination.total ?? 0 }}
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
