import { Alert, Box, Button, Chip, Link, Paper, Stack, TextField, Typography } from "@mui/material";
import { useEffect, useState, type FormEvent } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { DataTable, type Column } from "../../components/DataTable";
import { QueryState } from "../../components/QueryState";
import { fieldHelp, formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import { Workbench } from "./Workbench";
import { useActivatePrompt, useCreatePrompt, useHistory, usePrompt, useUpdatePrompt, type Prompt } from "./api";

const FIELDS = ["prompt_name", "prompt_text"];

function Editor({ prompt, admin }: { prompt: Prompt; admin: boolean }) {
  const navigate = useNavigate();
  const update = useUpdatePrompt(prompt.id);
  const version = useCreatePrompt();
  const [name, setName] = useState(prompt.prompt_name);
  const [text, setText] = useState(prompt.prompt_text);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    setName(prompt.prompt_name);
    setText(prompt.prompt_text);
  }, [prompt.id, prompt.prompt_name, prompt.prompt_text]);

  const error = update.error ?? version.error;
  const changed = name !== prompt.prompt_name || text !== prompt.prompt_text;

  function save(event: FormEvent) {
    event.preventDefault();
    version.reset();
    setNotice(null);
    update.mutate({ prompt_name: name, prompt_text: text }, { onSuccess: () => setNotice("Saved.") });
  }

  function saveVersion() {
    update.reset();
    setNotice(null);
    version.mutate(
      {
        prompt_name: name,
        prompt_text: text,
        parent_prompt_id: prompt.id,
        is_template: prompt.is_template,
        ...(prompt.vendor_id ? { vendor_id: prompt.vendor_id } : {}),
      },
      { onSuccess: (body) => navigate(`/prompts/${body.prompt.id}`) },
    );
  }

  const top = formError(error, FIELDS);
  return (
    <Paper component="form" aria-label="Prompt" onSubmit={save} noValidate sx={{ p: 2 }}>
      <Stack spacing={2}>
        <Box role="status" aria-live="polite">
          {notice && <Alert severity="success">{notice}</Alert>}
        </Box>
        {top && <Alert severity="error">{top}</Alert>}
        <TextField
          label="Prompt name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          InputProps={{ readOnly: !admin }}
          {...fieldHelp(error, "prompt_name")}
        />
        <TextField
          label="Prompt text"
          required
          multiline
          minRows={8}
          maxRows={24}
          value={text}
          onChange={(e) => setText(e.target.value)}
          InputProps={{ readOnly: !admin }}
          {...fieldHelp(error, "prompt_text")}
        />
        {admin && (
          <Box sx={{ display: "flex", gap: 2 }}>
            <Button type="submit" variant="contained" disabled={!changed || update.isPending}>
              Save
            </Button>
            <Button variant="outlined" disabled={version.isPending} onClick={saveVersion}>
              Save as new version
            </Button>
          </Box>
        )}
      </Stack>
    </Paper>
  );
}

function History({ prompt, admin }: { prompt: Prompt; admin: boolean }) {
  const history = useHistory(prompt.id);
  const activate = useActivatePrompt();
  const versions = history.data ?? [];
  const columns: Column<Prompt>[] = [
    {
      head: "Version",
      cell: (v) =>
        v.id === prompt.id ? (
          `v${v.version} (shown)`
        ) : (
          <Link component={RouterLink} to={`/prompts/${v.id}`}>
            v{v.version}
          </Link>
        ),
    },
    { head: "Name", cell: (v) => v.prompt_name },
    { head: "Status", cell: (v) => (v.is_active ? <Chip size="small" color="success" label="active" /> : "inactive") },
    { head: "Created", cell: (v) => `${new Date(v.created_at).toLocaleString()} ${v.created_by ? `by ${v.created_by}` : ""}` },
  ];
  if (admin)
    columns.push({
      head: "Actions",
      cell: (v) => (
        <Button size="small" disabled={v.is_active || !v.vendor_id || activate.isPending} onClick={() => activate.mutate(v.id)} aria-label={`Activate v${v.version}`}>
          Activate
        </Button>
      ),
    });
  return (
    <Paper component="section" aria-labelledby="history-heading" sx={{ p: 2 }}>
      <Typography id="history-heading" variant="h6" component="h2" gutterBottom>
        Version history
      </Typography>
      {history.error && <Alert severity="error">Could not load the versions: {formError(history.error)}</Alert>}
      {activate.error && <Alert severity="error">Could not activate: {formError(activate.error)}</Alert>}
      <DataTable label="Versions" loadingLabel="Loading versions" query={history} rows={versions} columns={columns} rowProps={(v) => ({ selected: v.id === prompt.id, hover: false })} />
      {!prompt.vendor_id && <Typography variant="body2">A prompt without a vendor cannot be activated.</Typography>}
    </Paper>
  );
}

export function PromptDetail() {
  const { id = "" } = useParams();
  const { user } = useSession();
  const prompt = usePrompt(id);
  const admin = user?.role === "admin";
  const canTest = user?.role === "admin" || user?.role === "reviewer";
  return (
    <QueryState
      query={prompt}
      loadingLabel="Loading the prompt"
      failure="Could not load the prompt"
      errorAction={
        <Link component={RouterLink} to="/prompts">
          Back to the prompts
        </Link>
      }
    >
      {(p) => (
        <Stack spacing={3}>
          <Box>
            <Link component={RouterLink} to="/prompts">
              All prompts
            </Link>
            <Typography variant="h4" component="h1">
              {p.prompt_name} v{p.version}
            </Typography>
            <Typography variant="body2">
              {p.vendor_display_name || p.vendor_name ? `Vendor: ${p.vendor_display_name || p.vendor_name}` : "No vendor"}
              {p.is_active ? " · active" : " · inactive"}
              {p.is_template ? " · template" : ""}
            </Typography>
          </Box>
          <Box sx={{ display: "grid", gridTemplateColumns: { lg: "3fr 2fr" }, gap: 3, alignItems: "start" }}>
            <Editor prompt={p} admin={admin} />
            <History prompt={p} admin={admin} />
          </Box>
          {canTest && <Workbench promptId={p.id} promptText={p.prompt_text} />}
        </Stack>
      )}
    </QueryState>
  );
}
