import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, type Breakpoint } from "@mui/material";
import type { FormEvent, ReactNode } from "react";

export interface FormDialogProps {
  /** The dialog's accessible name comes from its title, through this id. */
  titleId: string;
  title: ReactNode;
  /** The fields: each shows its own API error (lib/api fieldHelp). */
  children: ReactNode;
  /** An error that names none of the fields, shown above them (lib/api formError). */
  topError?: string;
  submitLabel: ReactNode;
  /** While the request runs: the submit button is disabled and says busyLabel. */
  busy?: boolean;
  busyLabel?: ReactNode;
  /** The submit button is disabled for another reason (what the form needs is not loaded). */
  submitDisabled?: boolean;
  onSubmit: () => void;
  /** Cancel, Escape and a click outside. */
  onCancel: () => void;
  open?: boolean;
  maxWidth?: Breakpoint;
}

/** A dialog holding one form: title, fields, an error at the top, Cancel and submit. */
export function FormDialog({
  titleId,
  title,
  children,
  topError,
  submitLabel,
  busy = false,
  busyLabel,
  submitDisabled = false,
  onSubmit,
  onCancel,
  open = true,
  maxWidth = "sm",
}: FormDialogProps) {
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <Dialog open={open} onClose={onCancel} aria-labelledby={titleId} fullWidth maxWidth={maxWidth}>
      <form onSubmit={submit} noValidate>
        <DialogTitle id={titleId}>{title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {topError && <Alert severity="error">{topError}</Alert>}
            {children}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={busy || submitDisabled}>
            {busy && busyLabel ? busyLabel : submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
