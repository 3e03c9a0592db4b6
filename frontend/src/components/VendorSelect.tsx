import type { SxProps, Theme } from "@mui/material";
import type { ReactNode } from "react";
import { STATUSES } from "../lib/types";
import { ChoiceSelect } from "./ChoiceSelect";

export interface VendorOption {
  id: string;
  name: string;
  display_name: string | null;
}

interface FilterSelectProps {
  /** The id of its label. */
  labelId: string;
  value: string;
  onChange: (value: string) => void;
  helperText?: ReactNode;
  error?: boolean;
  sx?: SxProps<Theme>;
}

/** A vendor picker: "Vendor", a first choice of none, then each vendor by its display name; the
 * value shows once the vendors' query has loaded. */
export function VendorSelect({ vendors, value, emptyLabel = "Any vendor", ...props }: FilterSelectProps & { vendors: { data?: VendorOption[] }; emptyLabel?: string }) {
  const choices = (vendors.data ?? []).map((v) => ({ value: v.id, label: v.display_name || v.name }));
  return <ChoiceSelect label="Vendor" value={vendors.data ? value : ""} choices={choices} emptyLabel={emptyLabel} {...props} />;
}

const STATUS_CHOICES = STATUSES.map((s) => ({ value: s, label: s }));

/** An invoice status picker: "Status", "Any status", then each processing status. */
export function StatusSelect(props: FilterSelectProps) {
  return <ChoiceSelect label="Status" choices={STATUS_CHOICES} emptyLabel="Any status" {...props} />;
}
