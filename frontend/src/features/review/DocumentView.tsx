import { Alert, Box, CircularProgress } from "@mui/material";
import { useEffect } from "react";
import { formError } from "../../lib/api";
import { baseType, frameSandbox } from "../../lib/documents";
import { useInvoiceFile } from "./api";

/** The invoice's file, fetched with the Authorization header into a blob URL. */
export function DocumentView({ id, name }: { id: string; name: string }) {
  const file = useInvoiceFile(id);
  const url = file.data?.url;
  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);
  if (file.isLoading) return <CircularProgress aria-label="Loading the document" />;
  if (file.error) return <Alert severity="error">Could not load the document: {formError(file.error)}</Alert>;
  if (!file.data) return null;
  const title = `Document ${name}`;
  if (baseType(file.data.type).startsWith("image/")) {
    return <Box component="img" src={file.data.url} alt={title} sx={{ maxWidth: "100%", border: 1, borderColor: "divider" }} />;
  }
  // uploaded HTML is untrusted: sandboxed, no script runs (lib/documents.ts); only a PDF is not
  return (
    <Box
      component="iframe"
      title={title}
      src={file.data.url}
      sandbox={frameSandbox(file.data.type)}
      sx={{ width: "100%", height: "75vh", border: 1, borderColor: "divider" }}
    />
  );
}
