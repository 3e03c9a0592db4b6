import { FormControl, InputLabel, MenuItem, Select, TextField } from "@mui/material";
import { useState } from "react";
import { FormDialog } from "../../components/FormDialog";
import { fieldError, fieldHelp, formError } from "../../lib/api";
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

  function submit() {
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
  return (
    <FormDialog
      open={open}
      titleId="create-user-title"
      title="Add a user"
      topError={formError(error, FIELDS)}
      submitLabel="Create user"
      busy={create.isPending}
      busyLabel="Creating…"
      onSubmit={submit}
      onCancel={() => {
        reset();
        onClose();
      }}
    >
      <TextField label="Email" type="email" autoFocus required value={email} onChange={(e) => setEmail(e.target.value)} {...fieldHelp(error, "email")} />
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} {...fieldHelp(error, "name", "Optional: the part of the email before the @ if empty")} />
      <TextField
        label="Password"
        type="password"
        required
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        {...fieldHelp(error, "password", "At least 12 characters")}
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
    </FormDialog>
  );
}
