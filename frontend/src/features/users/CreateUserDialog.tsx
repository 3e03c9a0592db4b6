import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  Stack,
  TextField,
} from "@mui/material";
import { useState, type FormEvent } from "react";
import { fieldError, formError } from "../../lib/api";
import type { Role } from "../../lib/types";
import { ROLES, useCreateUser } from "./api";

const FIELDS = ["email", "password", "role", "name"];

export function CreateUserDialog({ open, onClose }: { open: boolean; onClose: (created?: string) => void }) {
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("reviewer");

  function reset() {
    setEmail("");
    setName("");
    setPassword("");
    setRole("reviewer");
    create.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { email, password, role, ...(name.trim() ? { name: name.trim() } : {}) },
      {
        onSuccess: (body) => {
          reset();
          onClose(body.user.email);
        },
      },
    );
  }

  const error = create.error;
  const top = formError(error, FIELDS);
  return (
    <Dialog
      open={open}
      onClose={() => {
        reset();
        onClose();
      }}
      aria-labelledby="create-user-title"
      fullWidth
      maxWidth="sm"
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id="create-user-title">Add a user</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {top && <Alert severity="error">{top}</Alert>}
            <TextField
              label="Email"
              type="email"
              autoFocus
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              error={Boolean(fieldError(error, "email"))}
              helperText={fieldError(error, "email") ?? " "}
            />
            <TextField
              label="Name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={Boolean(fieldError(error, "name"))}
              helperText={fieldError(error, "name") ?? "Optional: the part of the email before the @ if empty"}
            />
            <TextField
              label="Password"
              type="password"
              required
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={Boolean(fieldError(error, "password"))}
              helperText={fieldError(error, "password") ?? "At least 12 characters"}
            />
            <FormControl error={Boolean(fieldError(error, "role"))}>
              <InputLabel id="create-user-role-label">Role</InputLabel>
              <Select labelId="create-user-role-label" label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((r) => (
                  <MenuItem key={r} value={r}>
                    {r}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button
            onClick={() => {
              reset();
              onClose();
            }}
          >
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create user"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
