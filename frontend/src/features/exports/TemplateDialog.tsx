import { Alert, CircularProgress, FormControlLabel, Switch, TextField } from "@mui/material";
import { useState } from "react";
import { FormDialog } from "../../components/FormDialog";
import { ApiError, fieldHelp } from "../../lib/api";
import { FieldPicker } from "./FieldPicker";
import { useCatalogue, useSaveTemplate, type ExportTemplate, type TemplateField } from "./api";

/** The message of an error about a field list ("invoice_fields" or one of its items). */
function listError(error: unknown, list: string): string | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  return error.field === list || error.field.startsWith(`${list}[`) ? error.message : undefined;
}

const STARTING_FIELDS: Record<"invoice_fields" | "line_item_fields", TemplateField[]> = {
  invoice_fields: [{ key: "invoice.invoice_number" }],
  line_item_fields: [{ key: "line_item.invoice_number" }],
};

// the original's bare template keys (the seeded templates use them) as catalogue keys, as the API
// reads them (app/exports/fields.py from_legacy_key)
const ALIASES: Record<string, string> = { "invoice:vendor_name": "vendor.name", "line_item:line_total": "line_item.total_amount" };

export function catalogueKeys(kind: "invoice" | "line_item", fields: TemplateField[]): TemplateField[] {
  const seen = new Set<string>();
  const out: TemplateField[] = [];
  for (const field of fields) {
    const key = field.key.includes(".") ? field.key : (ALIASES[`${kind}:${field.key}`] ?? `${kind}.${field.key}`);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...field, key });
  }
  return out;
}

/** Create (template null) or edit an export template; mounted afresh for each opening. */
export function TemplateDialog({ template, onClose }: { template: ExportTemplate | null; onClose: (saved?: string) => void }) {
  const catalogue = useCatalogue();
  const save = useSaveTemplate();
  const [name, setName] = useState(template?.name ?? "");
  const [description, setDescription] = useState(template?.description ?? "");
  const [isPublic, setPublic] = useState(template?.is_public ?? false);
  const [invoiceFields, setInvoiceFields] = useState<TemplateField[]>(() =>
    template ? catalogueKeys("invoice", template.invoice_fields) : STARTING_FIELDS.invoice_fields,
  );
  const [lineFields, setLineFields] = useState<TemplateField[]>(() =>
    template ? catalogueKeys("line_item", template.line_item_fields) : STARTING_FIELDS.line_item_fields,
  );

  function submit() {
    save.mutate(
      {
        id: template?.id ?? null,
        change: { name, description, is_public: isPublic, invoice_fields: invoiceFields, line_item_fields: lineFields },
      },
      { onSuccess: (body) => onClose(body.template.name) },
    );
  }

  const error = save.error;
  const known = ["name", "description", "is_public"];
  const top =
    error && !known.includes((error as ApiError).field ?? "") && !listError(error, "invoice_fields") && !listError(error, "line_item_fields")
      ? error.message
      : undefined;
  return (
    <FormDialog
      titleId="template-dialog-title"
      title={template ? `Edit template ${template.name}` : "New export template"}
      maxWidth="lg"
      topError={top}
      submitLabel={template ? "Save template" : "Create template"}
      busy={save.isPending}
      submitDisabled={!catalogue.data}
      onSubmit={submit}
      onCancel={() => onClose()}
    >
      <TextField label="Template name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} {...fieldHelp(error, "name")} />
      <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} {...fieldHelp(error, "description")} />
      <FormControlLabel control={<Switch checked={isPublic} onChange={(e) => setPublic(e.target.checked)} />} label="Shared with everyone" />
      {catalogue.isLoading && <CircularProgress aria-label="Loading the export fields" />}
      {catalogue.error && <Alert severity="error">Could not load the export fields: {catalogue.error.message}</Alert>}
      {catalogue.data && (
        <>
          <FieldPicker
            title="Invoice sheet columns"
            catalogue={catalogue.data.invoice}
            chosen={invoiceFields}
            onChange={setInvoiceFields}
            error={listError(error, "invoice_fields")}
          />
          <FieldPicker
            title="Line item sheet columns"
            catalogue={catalogue.data.line_item}
            chosen={lineFields}
            onChange={setLineFields}
            error={listError(error, "line_item_fields")}
          />
        </>
      )}
    </FormDialog>
  );
}
