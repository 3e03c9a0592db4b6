import { Alert, Box, Button, FormControl, FormHelperText, Paper, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField, Typography } from "@mui/material";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { fieldError, fileUrl, formError } from "../../lib/api";
import { baseType, frameSandbox } from "../../lib/documents";
import { useTestCleanup, useTestRun, useTestUpload, type Extracted, type TestUpload } from "./api";

const ACCEPT = ".pdf,.html,.htm,.png,.jpg,.jpeg";

function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The sandbox file, fetched with the Authorization header (never a token in the URL). */
function DocumentView({ file }: { file: TestUpload }) {
  const [doc, setDoc] = useState<{ url: string; type: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    let url: string | null = null;
    setDoc(null);
    setError(null);
    fileUrl(`/api/prompts/test-file/${file.tempFileId}`, controller.signal)
      .then((got) => {
        url = got.url;
        setDoc(got);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(formError(e) ?? "failed");
      });
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [file.tempFileId]);
  if (error) return <Alert severity="error">Could not load the document: {error}</Alert>;
  if (!doc) return <Typography role="status">Loading the document…</Typography>;
  const title = `Document ${file.originalName}`;
  if (baseType(doc.type).startsWith("image/")) return <Box component="img" src={doc.url} alt={title} sx={{ maxWidth: "100%" }} />;
  // anything but a PDF is sandboxed, no script runs (lib/documents.ts); PDFs in the browser's viewer
  return (
    <Box
      component="iframe"
      title={title}
      src={doc.url}
      sandbox={frameSandbox(doc.type)}
      sx={{ width: "100%", height: 480, border: 1, borderColor: "divider" }}
    />
  );
}

function Result({ data, ms }: { data: Extracted; ms: number }) {
  const header = Object.entries(data.invoice_header ?? {}).filter(([, v]) => v !== null && v !== "");
  const items = data.line_items ?? [];
  const columns = Array.from(new Set(items.flatMap((item) => Object.keys(item)))).filter((key) =>
    items.some((item) => item[key] !== null && item[key] !== ""),
  );
  return (
    <Stack spacing={2} component="section" aria-label="Test result">
      <Typography>
        {items.length} line items in {ms} ms
        {data.confidence_score !== null ? `, confidence ${data.confidence_score}` : ""}
        {data.model ? ` (${data.model})` : ""}
      </Typography>
      {data.warnings?.length > 0 && <Alert severity="warning">{data.warnings.join("; ")}</Alert>}
      <Table size="small" aria-label="Extracted header">
        <TableHead>
          <TableRow>
            <TableCell>Field</TableCell>
            <TableCell>Value</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {header.map(([key, value]) => (
            <TableRow key={key}>
              <TableCell component="th" scope="row">
                {key}
              </TableCell>
              <TableCell>{show(value)}</TableCell>
            </TableRow>
          ))}
          {header.length === 0 && (
            <TableRow>
              <TableCell colSpan={2}>No header field was extracted.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <Box sx={{ overflowX: "auto" }}>
        <Table size="small" aria-label="Extracted line items">
          <TableHead>
            <TableRow>
              {columns.map((key) => (
                <TableCell key={key}>{key}</TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {items.map((item, index) => (
              <TableRow key={index}>
                {columns.map((key) => (
                  <TableCell key={key}>{show(item[key])}</TableCell>
                ))}
              </TableRow>
            ))}
            {items.length === 0 && (
              <TableRow>
                <TableCell colSpan={Math.max(1, columns.length)}>No line item was extracted.</TableCell>
              </TableRow>
            )}
          </TableBody>
        </Table>
      </Box>
    </Stack>
  );
}

/** Upload a sample, see it, run a prompt text (the saved one, or an edited one) on it. */
export function Workbench({ promptId, promptText }: { promptId: string; promptText: string }) {
  const upload = useTestUpload(promptId);
  const run = useTestRun(promptId);
  const cleanup = useTestCleanup();
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState(promptText);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setText(promptText), [promptText]);

  function send(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    run.reset();
    cleanup.reset();
    upload.mutate(file);
  }

  const sample = upload.data;
  const fileError = fieldError(upload.error, "testFile");
  const runError = run.error ? (fieldError(run.error, "tempFileId") ?? formError(run.error, ["promptText"])) : undefined;
  return (
    <Paper component="section" aria-labelledby="workbench-heading" sx={{ p: 2 }}>
      <Typography id="workbench-heading" variant="h6" component="h2" gutterBottom>
        Test workbench
      </Typography>
      <Box component="form" onSubmit={send} sx={{ display: "flex", gap: 2, alignItems: "flex-start", mb: 2 }}>
        <FormControl error={Boolean(fileError)}>
          <Button variant="outlined" component="label" sx={{ height: 56 }}>
            {file ? file.name : "Choose a test file"}
            <input
              ref={input}
              type="file"
              hidden
              accept={ACCEPT}
              aria-label="Test file (PDF, HTML, PNG, JPEG)"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </Button>
          <FormHelperText>{fileError ?? "Kept for an hour, visible to you only"}</FormHelperText>
        </FormControl>
        <Button type="submit" variant="contained" sx={{ height: 56 }} disabled={!file || upload.isPending}>
          {upload.isPending ? "Uploading…" : "Upload test file"}
        </Button>
      </Box>
      {upload.error && !fileError && <Alert severity="error">Upload failed: {formError(upload.error)}</Alert>}
      <Box role="status" aria-live="polite">
        {cleanup.isSuccess && <Alert severity="info">The test file was deleted.</Alert>}
      </Box>
      {sample && (
        <Box sx={{ display: "grid", gridTemplateColumns: { md: "1fr 1fr" }, gap: 2 }}>
          <Box>
            <Typography variant="subtitle1" component="h3">
              {sample.originalName} ({sample.contentType}, {sample.size} bytes)
            </Typography>
            <DocumentView file={sample} />
            <Typography variant="subtitle1" component="h3" id="workbench-text-heading" sx={{ mt: 2 }}>
              Extracted text
            </Typography>
            {sample.extractedTextNote && <Typography variant="body2" color="text.secondary">{sample.extractedTextNote}</Typography>}
            {sample.extractedText !== null && (
              <Box
                component="pre"
                role="region"
                aria-labelledby="workbench-text-heading"
                tabIndex={0}
                sx={{ m: 0, p: 1, maxHeight: 320, overflow: "auto", whiteSpace: "pre-wrap", fontSize: 12, bgcolor: "action.hover", borderRadius: 1 }}
              >
                {sample.extractedText || "(the file holds no text)"}
              </Box>
            )}
          </Box>
          <Stack spacing={2}>
            <TextField
              label="Prompt text for this run"
              multiline
              minRows={6}
              maxRows={16}
              value={text}
              onChange={(e) => setText(e.target.value)}
              error={Boolean(fieldError(run.error, "promptText"))}
              helperText={fieldError(run.error, "promptText") ?? (text !== promptText ? "Edited: the saved prompt is unchanged" : "The saved prompt text")}
            />
            <Box>
              <Button variant="contained" disabled={run.isPending || !text.trim()} onClick={() => run.mutate({ tempFileId: sample.tempFileId, promptText: text })}>
                {run.isPending ? "Running…" : "Run prompt"}
              </Button>{" "}
              <Button
                color="error"
                disabled={cleanup.isPending}
                onClick={() =>
                  cleanup.mutate(sample.tempFileId, {
                    onSuccess: () => {
                      upload.reset();
                      run.reset();
                      setFile(null);
                      if (input.current) input.current.value = "";
                    },
                  })
                }
              >
                Discard test file
              </Button>
            </Box>
            {runError && <Alert severity="error">The run failed: {runError}</Alert>}
            {cleanup.error && <Alert severity="error">Could not discard the test file: {formError(cleanup.error)}</Alert>}
            {run.data && <Result data={run.data.extracted_data} ms={run.data.processing_time_ms} />}
          </Stack>
        </Box>
      )}
    </Paper>
  );
}
