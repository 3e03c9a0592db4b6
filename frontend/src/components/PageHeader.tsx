import { Alert, Box, Stack, Typography } from "@mui/material";
import type { ReactNode } from "react";

/** A screen's heading (its one h1), with its main action at the right. */
export function PageHeader({ title, action }: { title: ReactNode; action?: ReactNode }) {
  return (
    <Stack direction="row" alignItems="center" sx={{ mb: 2 }}>
      <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
        {title}
      </Typography>
      {action}
    </Stack>
  );
}

/** What the last change did, in a polite live region (read out when it appears); closable. */
export function SuccessNotice({ notice, onClose }: { notice: string | null; onClose: () => void }) {
  return (
    <Box role="status" aria-live="polite">
      {notice && (
        <Alert severity="success" sx={{ mb: 2 }} onClose={onClose}>
          {notice}
        </Alert>
      )}
    </Box>
  );
}
