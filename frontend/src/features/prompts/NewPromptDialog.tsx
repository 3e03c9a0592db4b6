import { Checkbox, FormControl, FormControlLabel, FormHelperText, TextField } from "@mui/material";
import { useState } from "react";
import { FormDialog } from "../../components/FormDialog";
import { VendorSelect } from "../../components/VendorSelect";
import { fieldError, fieldHelp, formError } from "../../lib/api";
import { useVendorTable as useVendors } from "../vendors/api";
import { useCreatePrompt, type Prompt } from "./api";

const FIELDS = ["prompt_name", "prompt_text", "vendor_id", "is_active", "is_template"];

export function NewPromptDialog({ onClose }: { onClose: (created?: Prompt) => void }) {
  const create = useCreatePrompt();
  const vendors = useVendors();
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const [vendorId, setVendorId] = useState("");
  const [template, setTemplate] = useState(false);
  const [active, setActive] = useState(false);

  function submit() {
    create.mutate(
      { prompt_name: name, prompt_text: text, is_template: template, is_active: active, ...(vendorId ? { vendor_id: vendorId } : {}) },
      { onSuccess: (body) => onClose(body.prompt) },
    );
  }

  const error = create.error;
  return (
    <FormDialog
      titleId="new-prompt-title"
      title="New prompt"
      maxWidth="md"
      topError={formError(error, FIELDS)}
      submitLabel="Create prompt"
      busy={create.isPending}
      busyLabel="Creating…"
      onSubmit={submit}
      onCancel={() => onClose()}
    >
      <TextField label="Prompt name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} {...fieldHelp(error, "prompt_name")} />
      <VendorSelect
        labelId="new-prompt-vendor-label"
        vendors={vendors}
        value={vendorId}
        onChange={setVendorId}
        emptyLabel="No vendor (a template)"
        error={Boolean(fieldError(error, "vendor_id"))}
        helperText={fieldError(error, "vendor_id") ?? (vendors.error ? formError(vendors.error) : " ")}
      />
      <TextField label="Prompt text" required multiline minRows={6} value={text} onChange={(e) => setText(e.target.value)} {...fieldHelp(error, "prompt_text")} />
      <FormControlLabel control={<Checkbox checked={template} onChange={(e) => setTemplate(e.target.checked)} />} label="Template" />
      <FormControl error={Boolean(fieldError(error, "is_active"))}>
        <FormControlLabel control={<Checkbox checked={active} onChange={(e) => setActive(e.target.checked)} />} label="Active for the vendor" />
        <FormHelperText>{fieldError(error, "is_active") ?? "Replaces the vendor's active prompt"}</FormHelperText>
      </FormControl>
    </FormDialog>
  );
}
