import { Alert, Box, Button, Chip, FormControl, InputLabel, Link, MenuItem, Paper, Select } from "@mui/material";
import { useState } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { DataTable, type Column } from "../../components/DataTable";
import { PageHeader } from "../../components/PageHeader";
import { VendorSelect } from "../../components/VendorSelect";
import { formError } from "../../lib/api";
import { useSession } from "../../lib/auth";
import { urlPaging, useUrlFilters } from "../../lib/useUrlFilters";
import { useVendorTable as useVendors } from "../vendors/api";
import { NewPromptDialog } from "./NewPromptDialog";
import { usePrompts, type Prompt } from "./api";

const FILTERS = { vendor_id: "", is_active: "", is_template: "" };

const COLUMNS: Column<Prompt>[] = [
  {
    head: "Name",
    cell: (p) => (
      <Link component={RouterLink} to={`/prompts/${p.id}`}>
        {p.prompt_name}
      </Link>
    ),
  },
  { head: "Vendor", cell: (p) => p.vendor_display_name || p.vendor_name || "none" },
  { head: "Version", align: "right", cell: (p) => p.version },
  {
    head: "Status",
    cell: (p) => (
      <>
        {p.is_active && <Chip size="small" color="success" label="active" sx={{ mr: 1 }} />}
        {p.is_template && <Chip size="small" label="template" />}
      </>
    ),
  },
  { head: "Created", cell: (p) => `${new Date(p.created_at).toLocaleString()} ${p.created_by ? `by ${p.created_by}` : ""}` },
];

export function PromptsPage() {
  const { user } = useSession();
  const navigate = useNavigate();
  const [filters, update] = useUrlFilters(FILTERS);
  const prompts = usePrompts(filters);
  const vendors = useVendors();
  const [creating, setCreating] = useState(false);
  const rows = prompts.data?.prompts ?? [];
  const filtered = Boolean(filters.vendor_id || filters.is_active || filters.is_template);
  return (
    <>
      <PageHeader
        title="Prompts"
        action={
          user?.role === "admin" && (
            <Button variant="contained" onClick={() => setCreating(true)}>
              New prompt
            </Button>
          )
        }
      />
      <Paper component="section" aria-label="Prompt list" sx={{ p: 2 }}>
        <Box role="search" sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 2 }}>
          <VendorSelect labelId="prompt-vendor-label" vendors={vendors} value={filters.vendor_id} onChange={(vendor_id) => update({ vendor_id })} sx={{ minWidth: 200 }} />
          <FormControl sx={{ minWidth: 160 }}>
            <InputLabel id="prompt-active-label">Active</InputLabel>
            <Select labelId="prompt-active-label" label="Active" value={filters.is_active} onChange={(e) => update({ is_active: e.target.value })}>
              <MenuItem value="">Active or not</MenuItem>
              <MenuItem value="true">Active only</MenuItem>
              <MenuItem value="false">Inactive only</MenuItem>
            </Select>
          </FormControl>
          <FormControl sx={{ minWidth: 160 }}>
            <InputLabel id="prompt-template-label">Kind</InputLabel>
            <Select labelId="prompt-template-label" label="Kind" value={filters.is_template} onChange={(e) => update({ is_template: e.target.value })}>
              <MenuItem value="">Any kind</MenuItem>
              <MenuItem value="true">Templates</MenuItem>
              <MenuItem value="false">Not templates</MenuItem>
            </Select>
          </FormControl>
        </Box>
        {prompts.error && <Alert severity="error">Could not load the prompts: {formError(prompts.error)}</Alert>}
        <DataTable
          label="Prompts"
          loadingLabel="Loading prompts"
          empty={filtered ? "No prompt matches these filters." : "No prompts yet."}
          query={prompts}
          rows={rows}
          columns={COLUMNS}
          paging={urlPaging(filters, update, prompts.data?.total)}
        />
      </Paper>
      {creating && (
        <NewPromptDialog
          onClose={(created) => {
            setCreating(false);
            if (created) navigate(`/prompts/${created.id}`);
          }}
        />
      )}
    </>
  );
}
