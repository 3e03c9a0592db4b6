import { FormControl, FormControlLabel, FormHelperText, InputLabel, MenuItem, Select, Switch, TextField } from "@mui/material";
import { useState } from "react";
import { FormDialog } from "../../components/FormDialog";
import { fieldError, fieldHelp, formError } from "../../lib/api";
import { useSaveVendor, useVendorPrompts, type VendorChange, type VendorRow } from "./api";

const FIELDS = ["name", "display_name", "active", "extraction_prompt_id"];

/** Add (vendor null) or edit a vendor; mounted afresh for each opening. */
export function VendorDialog({ vendor, onClose }: { vendor: VendorRow | null; onClose: (saved?: string) => void }) {
  const save = useSaveVendor();
  const prompts = useVendorPrompts(vendor?.id ?? null);
  const [name, setName] = useState(vendor?.name ?? "");
  const [display, setDisplay] = useState(vendor?.display_name ?? "");
  const [active, setActive] = useState(vendor?.active ?? true);
  const [promptId, setPromptId] = useState(vendor?.active_prompt_id ?? "");

  function submit() {
    const change: VendorChange = {};
    if (!vendor) {
      change.name = name;
      if (display.trim()) change.display_name = display.trim();
      change.active = active;
    } else {
      if (name !== vendor.name) change.name = name;
      if (display !== vendor.display_name) change.display_name = display.trim() || name;
      if (active !== vendor.active) change.active = active;
      if (promptId !== (vendor.active_prompt_id ?? "")) change.extraction_prompt_id = promptId || null;
    }
    if (vendor && Object.keys(change).length === 0) {
      onClose();
      return;
    }
    save.mutate({ id: vendor?.id ?? null, change }, { onSuccess: (body) => onClose(body.vendor.display_name) });
  }

  const error = save.error;
  return (
    <FormDialog
      titleId="vendor-dialog-title"
      title={vendor ? `Edit ${vendor.display_name}` : "Add a vendor"}
      topError={formError(error, FIELDS)}
      submitLabel={vendor ? "Save" : "Add vendor"}
      busy={save.isPending}
      busyLabel="Saving…"
      onSubmit={submit}
      onCancel={() => onClose()}
    >
      <TextField label="Name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} {...fieldHelp(error, "name", "Kept in lower case; unique")} />
      <TextField label="Display name" value={display} onChange={(e) => setDisplay(e.target.value)} {...fieldHelp(error, "display_name", "Shown in lists; the name if empty")} />
      <FormControl error={Boolean(fieldError(error, "active"))}>
        <FormControlLabel control={<Switch checked={active} onChange={(e) => setActive(e.target.checked)} />} label="Active" />
        <FormHelperText>{fieldError(error, "active") ?? "Only active vendors can receive uploads"}</FormHelperText>
      </FormControl>
      {vendor && (
        <FormControl error={Boolean(fieldError(error, "extraction_prompt_id") ?? prompts.error)}>
          <InputLabel id="vendor-prompt-label">Extraction prompt</InputLabel>
          <Select
            labelId="vendor-prompt-label"
            label="Extraction prompt"
            value={prompts.data ? promptId : ""}
            onChange={(e) => setPromptId(e.target.value)}
          >
            <MenuItem value="">No prompt</MenuItem>
            {(prompts.data ?? []).map((p) => (
              <MenuItem key={p.id} value={p.id}>
                {p.prompt_name} v{p.version}
              </MenuItem>
            ))}
          </Select>
          <FormHelperText>
            {fieldError(error, "extraction_prompt_id") ??
              (prompts.error
                ? `Could not load the prompts: ${formError(prompts.error)}`
                : prompts.isLoading
                  ? "Loading prompts…"
                  : prompts.data?.length
                    ? "The prompt chosen becomes the vendor's active prompt"
                    : "This vendor has no prompts yet (see Prompts)")}
          </FormHelperText>
        </FormControl>
      )}
    </FormDialog>
  );
}
